using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoolDetector.Testing;
using Xunit.Abstractions;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// The daemon keeps what it learned across restarts: a Stratum exchange (the lines of
/// pcaps/stratum-v1-npm.pcap) over a real loopback connection makes it learn the pool; SIGTERM
/// saves the learned pools file; the next start loads it (the metric shows the endpoint at
/// once) and, with a short save interval, saves a newly learned pool while running.
/// </summary>
public sealed class LearnedPoolsPersistenceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(8);

    [Fact]
    public void Learned_pool_saved_at_stop_loaded_at_next_start_and_saved_while_running()
    {
        if (Environment.UserName != "root")
        {
            // Capturing needs CAP_NET_RAW; CI runs as root.
            output.WriteLine("skipped: live capture needs root");
            return;
        }
        var clock = Stopwatch.StartNew();
        var exchange = LiveCaptureTests.ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        using var config = new DaemonConfig();
        using var firstPool = new TcpListener(IPAddress.Loopback, 0);
        using var secondPool = new TcpListener(IPAddress.Loopback, 0);
        firstPool.Start();
        secondPool.Start();
        var firstPort = ((IPEndPoint)firstPool.LocalEndpoint).Port;
        var secondPort = ((IPEndPoint)secondPool.LocalEndpoint).Port;
        config.Settings["BpfFilter"] = $"tcp port {firstPort} or tcp port {secondPort}";
        var metricsPort = (int)config.Settings["MetricsPort"];
        var state = config.LearnedPoolsFile;

        // 1. First run, default save interval (a minute): nothing is saved before the stop, all of it at the stop.
        using (var daemon = DaemonProcess.Launch(config))
        {
            Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);
            Assert.Contains($"Learned pools: {state} does not exist yet; starting empty", daemon.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, LearnedPoolsMetric(metricsPort));
            Mine(firstPool, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => LiveCaptureTests.AlertLines(config.EveLog).Count >= 1, EventTimeout), "no alert:\n" + daemon.Stderr);
            Assert.True(DaemonProcess.WaitUntil(() => LearnedPoolsMetric(metricsPort) == 1, EventTimeout), "pool not learned:\n" + daemon.Stderr);
            Assert.False(File.Exists(state), "saved before the interval was up");

            daemon.Signal("TERM");
            var exit = daemon.WaitForExit(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}:\n{daemon.Stderr}");
            Assert.Contains($"Learned pools: 1 endpoint(s) saved to {state} at stop", daemon.Stderr, StringComparison.Ordinal);
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: first run stopped");
        var saved = File.ReadAllText(state);
        Assert.Contains($"127.0.0.1:{firstPort}\tADDR\tpooldetector-learned\tpool; learned from a confirmed mining session; dialect=stratum-v1;", saved, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(state)!, "*.tmp"));

        // 2. Second run: the endpoint is back at once; a new pool is saved within a second or two while running.
        config.Settings["LearnedPoolsSaveInterval"] = "00:00:01";
        using (var daemon = DaemonProcess.Launch(config))
        {
            Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);
            Assert.Equal(1, LearnedPoolsMetric(metricsPort));
            Assert.Contains($"Learned pools: 1 endpoint(s) loaded from {state} (0 bad line(s) skipped)", daemon.Stderr, StringComparison.Ordinal);

            Mine(secondPool, exchange);
            Assert.True(DaemonProcess.WaitUntil(
                () => File.ReadAllText(state).Contains($"127.0.0.1:{secondPort}\tADDR", StringComparison.Ordinal), EventTimeout),
                "the new pool was not saved while running:\n" + daemon.Stderr);
            Assert.Equal(2, LearnedPoolsMetric(metricsPort));
            Assert.Contains($"127.0.0.1:{firstPort}\tADDR", File.ReadAllText(state), StringComparison.Ordinal);
            Assert.True(Series(metricsPort, "pooldetector_learned_pools_saves_total{result=\"ok\"}") >= 1, Scrape(metricsPort));
            Assert.Equal(0, Series(metricsPort, "pooldetector_learned_pools_saves_total{result=\"error\"}"));

            daemon.Signal("TERM");
            var exit = daemon.WaitForExit(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}:\n{daemon.Stderr}");
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: second run stopped");
    }

    /// <summary>One mining session over a new connection to <paramref name="pool"/>.</summary>
    private static void Mine(TcpListener pool, List<(bool FromClient, byte[] Payload)> exchange)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, ((IPEndPoint)pool.LocalEndpoint).Port);
        using var server = pool.AcceptTcpClient();
        LiveCaptureTests.Play(client, server, exchange);
    }

    private static double LearnedPoolsMetric(int port) => Series(port, "pooldetector_learned_pools");

    /// <summary>The value of the series written exactly as <paramref name="series"/> (name and labels) in a scrape; fails when absent.</summary>
    private static double Series(int port, string series)
    {
        var prefix = series + " ";
        var scrape = Scrape(port);
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, series + " not in the scrape:\n" + scrape);
        return double.Parse(line.AsSpan(prefix.Length).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Scrape(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return http.GetStringAsync(new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/metrics")).GetAwaiter().GetResult();
    }
}
