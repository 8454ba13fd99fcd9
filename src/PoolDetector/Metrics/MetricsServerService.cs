using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

using PoolDetector.Hosting;

namespace PoolDetector.Metrics;

/// <summary>
/// Serves <c>/metrics</c> with prometheus-net's <see cref="MetricServer"/> (HttpListener, no
/// ASP.NET) on <c>MetricsAddress:MetricsPort</c> for the life of the host. A port already in
/// use fails start-up with a message naming the address and port.
/// </summary>
internal sealed partial class MetricsServerService : IHostedService, IDisposable
{
    private readonly string _address;
    private readonly int _port;
    private readonly CollectorRegistry _registry;
    private readonly ILogger<MetricsServerService> _logger;
    private MetricServer? _server;

    public MetricsServerService(string address, int port, CollectorRegistry registry, ILogger<MetricsServerService> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(logger);
        _address = address;
        _port = port;
        _registry = registry;
        _logger = logger;
    }

    /// <summary>Where Prometheus scrapes, as an operator would type it.</summary>
    public Uri Endpoint => new($"http://{UrlHost(_address)}:{_port}/metrics");

    /// <summary>
    /// The HttpListener prefix host for a configured address: an IPv6 literal in brackets,
    /// the wildcard addresses as HttpListener's <c>+</c> (every address).
    /// </summary>
    public static string ListenerHost(string address) => address switch
    {
        "0.0.0.0" or "::" or "[::]" or "*" or "+" => "+",
        _ => UrlHost(address),
    };

    private static string UrlHost(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && !address.StartsWith('[')
            ? "[" + address + "]"
            : address;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new MetricServer(ListenerHost(_address), _port, "metrics/", _registry);
        try
        {
            server.Start();
        }
        catch (Exception ex) when (ex is HttpListenerException or SocketException or InvalidOperationException)
        {
            server.Dispose();
            throw new SensorStartupException(
                $"Metrics: cannot listen on address {_address} port {_port} ({ex.Message}). " +
                $"Is another process (another pooldetector?) using port {_port}? " +
                "Change PoolDetector:MetricsPort or PoolDetector:MetricsAddress.", ex);
        }
        _server = server;
        LogListening(_logger, Endpoint);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync().ConfigureAwait(false);
            server.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics at {Endpoint}")]
    private static partial void LogListening(ILogger logger, Uri endpoint);

    public void Dispose()
    {
        _server?.Dispose();
        _server = null;
    }
}
