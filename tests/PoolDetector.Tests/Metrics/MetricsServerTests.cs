using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Core.Detection;
using PoolDetector.Hosting;
using PoolDetector.Metrics;
using Prometheus;

namespace PoolDetector.Tests.Metrics;

/// <summary>The HTTP endpoint: prometheus-net's MetricServer on a real port, and its wiring into the host.</summary>
public class MetricsServerTests
{
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static MetricsServerService Server(int port, CollectorRegistry registry) =>
        new("127.0.0.1", port, registry, NullLogger<MetricsServerService>.Instance);

    [Fact]
    public async Task Serves_metrics_over_http()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new PrometheusSensorMetrics(registry, new SensorStatus(["eth0"]));
        var port = FreePort();
        using var server = Server(port, registry);
        await server.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(new Uri($"http://127.0.0.1:{port}/metrics"), server.Endpoint);
            using var http = new HttpClient();
            using var response = await http.GetAsync(server.Endpoint);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Contains("pooldetector_build_info{", text, StringComparison.Ordinal);
            Assert.Contains("pooldetector_packets_total{interface=\"eth0\",stage=\"captured\"} 0", text, StringComparison.Ordinal);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_port_fails_naming_address_and_port()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var port = FreePort();
        using var first = Server(port, registry);
        await first.StartAsync(CancellationToken.None);
        try
        {
            using var second = Server(port, registry);
            var error = await Assert.ThrowsAsync<SensorStartupException>(() => second.StartAsync(CancellationToken.None));
            Assert.Contains($"port {port}", error.Message, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await first.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_port_held_by_another_listener_fails_naming_address_and_port()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var server = Server(port, Prometheus.Metrics.NewCustomRegistry());
        var error = await Assert.ThrowsAsync<SensorStartupException>(() => server.StartAsync(CancellationToken.None));
        Assert.Contains($"port {port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "[::1]")]
    [InlineData("0.0.0.0", "+")]
    [InlineData("::", "+")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    public void Listener_hosts(string address, string host) => Assert.Equal(host, MetricsServerService.ListenerHost(address));

    private sealed class DefaultMetrics : ISensorMetrics
    {
        public void DetectionRaised(MiningDetection detection)
        {
        }

        public void RulesLoaded(bool reload, bool success, int rulesInUse)
        {
        }

        public void InterfaceFailed(string interfaceName)
        {
        }

        public void LearnedPoolsSaved(bool success)
        {
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddPoolDetectorMetrics_replaces_the_default_metrics_and_serves_them(bool metricsFirst)
    {
        var port = FreePort();
        var options = new SensorOptions { Interfaces = ["eth0"], MetricsAddress = "127.0.0.1", MetricsPort = port };
        var services = new ServiceCollection();
        services.AddLogging();
        if (metricsFirst)
        {
            services.AddPoolDetectorMetrics();
        }
        // What the sensor registers: TryAdd, so an earlier registration wins.
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => new SensorStatus(options.Interfaces));
        services.TryAddSingleton<ISensorMetrics, DefaultMetrics>();
        if (!metricsFirst)
        {
            services.AddPoolDetectorMetrics();
        }

        Assert.Single(services, d => d.ServiceType == typeof(ISensorMetrics));
        await using var provider = services.BuildServiceProvider();
        var metrics = Assert.IsType<PrometheusSensorMetrics>(provider.GetRequiredService<ISensorMetrics>());
        metrics.InterfaceFailed("eth0");
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        Assert.IsType<MetricsServerService>(hosted);
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient();
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            Assert.Contains("pooldetector_interface_failures_total{interface=\"eth0\"} 1", text, StringComparison.Ordinal);
            // The process metrics an operator expects beside them.
            Assert.Contains("process_cpu_seconds_total", text, StringComparison.Ordinal);
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }
}
