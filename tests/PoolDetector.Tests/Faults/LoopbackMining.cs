using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoolDetector.Testing;
using PoolDetector.Tests.Daemon;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Metrics;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Real mining traffic for a daemon on <c>lo</c>: a pool listening on a loopback port and, per
/// <see cref="Mine"/>, a new TCP connection that plays the Stratum exchange of
/// pcaps/stratum-v1-npm.pcap (the npm stratum client and server). The configuration given
/// captures only that port, so nothing else on the machine's loopback reaches the daemon.
/// </summary>
internal sealed class LoopbackMining : IDisposable
{
    private readonly TcpListener _pool = new(IPAddress.Loopback, 0);
    private readonly List<(bool FromClient, byte[] Payload)> _exchange =
        LiveCaptureTests.ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly int _metricsPort;

    public LoopbackMining(DaemonConfig config)
    {
        _pool.Start();
        config.Settings["BpfFilter"] = $"tcp port {PoolPort.ToString(CultureInfo.InvariantCulture)}";
        config.Settings["InterfaceRetrySeconds"] = 1;
        _metricsPort = (int)config.Settings["MetricsPort"];
    }

    public int PoolPort => ((IPEndPoint)_pool.LocalEndpoint).Port;

    /// <summary>One mining session over a new connection; returns the miner's port.</summary>
    public int Mine()
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, PoolPort);
        using var server = _pool.AcceptTcpClient();
        return LiveCaptureTests.Play(client, server, _exchange);
    }

    /// <summary>The daemon's /metrics, parsed.</summary>
    public Exposition Scrape() =>
        Exposition.Parse(_http.GetStringAsync(new Uri($"http://127.0.0.1:{_metricsPort.ToString(CultureInfo.InvariantCulture)}/metrics")).GetAwaiter().GetResult());

    /// <summary>Stratum V1 mining detections counted so far.</summary>
    public double MiningDetections() => Scrape()["pooldetector_detections_total{category=\"mining\",dialect=\"stratum-v1\",confidence=\"high\"}"];

    public void Dispose()
    {
        _pool.Dispose();
        _http.Dispose();
    }
}
