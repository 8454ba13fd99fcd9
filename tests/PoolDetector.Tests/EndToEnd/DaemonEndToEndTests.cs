using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PoolDetector.Testing;
using Xunit.Abstractions;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// Issue 3's "Must show", on real parts: the built daemon as a process capturing live,
/// a Stratum pool and miner the project did not write (npm `stratum` and `stratum-client`),
/// a real Prometheus server scraping the daemon, and tcpreplay onto a veth pair in a
/// network namespace the test creates. Traffic stays on loopback or inside that namespace.
/// </summary>
public sealed class DaemonEndToEndTests
{
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The captures replayed: every dialect with a file of its own, a QinQ/802.1Q/IPv6 file,
    /// a capture that starts mid-session (no SYN, no FIN), IPv6 loopback, a clean JSON-RPC
    /// capture that must stay silent, and the non-Ethernet ones (Linux cooked, raw IP),
    /// turned into Ethernet for the veth. Each (miner, pool) appears in one file only, so
    /// the daemon's per-flow alerts and analyze's per-file ones can be compared as sets.
    /// </summary>
    private static readonly string[] ReplayedCaptures =
    [
        "stratum-v1-npm.pcap",
        "stratum-v1-npm-ipv6.pcap",
        "xmrig-login-job-submit.pcap",
        "nicehash-ethereumstratum1.pcap",
        "stratum-v1-vlan-qinq.pcap",
        "stratum-line-split.pcap",
        "stratum-v1-midsession.pcap",
        "jsonrpc-clean.pcap",
        "ethproxy.pcap",
        "getwork-http.pcap",
    ];

    private readonly ITestOutputHelper _output;

    public DaemonEndToEndTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Daemon_detects_a_real_stratum_session_and_prometheus_sees_it()
    {
        var clock = Stopwatch.StartNew();
        var poolPort = Wait.FreeTcpPort();
        var metricsPort = Wait.FreeTcpPort();
        // Prometheus and the daemon start together: the first scrapes fail until the daemon answers.
        var prometheusStart = Task.Run(() => PrometheusServer.Start("127.0.0.1:" + metricsPort.ToString(CultureInfo.InvariantCulture)));
        PrometheusServer? prometheus = null;
        DaemonProcess? daemon = null;
        try
        {
            daemon = DaemonProcess.Start("lo", $"tcp port {poolPort}", metricsPort: metricsPort);
            prometheus = prometheusStart.GetAwaiter().GetResult();
            _output.WriteLine($"daemon and prometheus ready after {clock.ElapsedMilliseconds} ms");

            // The real exchange: subscribe, authorize, set_difficulty + notify, two submits.
            var peers = NodePeers.Exchange(poolPort);
            var exchanged = clock.Elapsed;
            _output.WriteLine($"stratum exchange done after {exchanged.TotalMilliseconds:F0} ms, miner port {peers.ClientPort}\n{peers.MinerOutput}{peers.ServerOutput}");
            Assert.Contains("share accepted (2)", peers.MinerOutput, StringComparison.Ordinal);

            // Within seconds the EVE file holds the detection, src = the miner.
            var alerts = daemon.WaitForAlerts(1, AlertTimeout);
            Assert.True(alerts.Count >= 1, $"no alert within {AlertTimeout.TotalSeconds} s of the exchange:\n{daemon.Describe()}");
            _output.WriteLine($"alert after {(clock.Elapsed - exchanged).TotalMilliseconds:F0} ms: {alerts[0]}");
            var alert = alerts[0];
            Assert.Equal("alert", alert.GetProperty("event_type").GetString());
            Assert.Equal("127.0.0.1", alert.GetProperty("src_ip").GetString());
            Assert.Equal(peers.ClientPort, alert.GetProperty("src_port").GetInt32());
            Assert.Equal("127.0.0.1", alert.GetProperty("dest_ip").GetString());
            Assert.Equal(poolPort, alert.GetProperty("dest_port").GetInt32());
            var mining = alert.GetProperty("mining");
            Assert.Equal("mining", mining.GetProperty("category").GetString());
            Assert.Equal("stratum-v1", mining.GetProperty("dialect").GetString());
            Assert.Equal("high", mining.GetProperty("confidence").GetString());
            Assert.Equal("pooldetector.rig1", mining.GetProperty("worker").GetString());
            // Alerted live, at the verdict: the evidence so far (the shares come later, to the aggregation).
            Assert.Contains("mining.subscribe", Evidence(mining));
            Assert.Contains("mining.authorize", Evidence(mining));

            // /metrics shows it (some series are brought up to date about once a second).
            var metrics = "";
            double Sum(string name, params (string, string)[] labels) => DaemonProcess.Samples(metrics, name, labels).Sum(s => s.Value);
            Wait.Until(() =>
            {
                metrics = daemon.Metrics();
                return Sum("pooldetector_detections_total", ("category", "mining"), ("dialect", "stratum-v1")) >= 1 &&
                       Sum("pooldetector_stratum_messages_total", ("dialect", "stratum-v1"), ("direction", "client")) > 0 &&
                       Sum("pooldetector_stratum_messages_total", ("dialect", "stratum-v1"), ("direction", "server")) > 0 &&
                       Sum("pooldetector_mining_hosts") >= 1;
            }, AlertTimeout);
            Assert.True(Sum("pooldetector_detections_total", ("category", "mining"), ("dialect", "stratum-v1"), ("confidence", "high")) >= 1,
                "pooldetector_detections_total{category=\"mining\",dialect=\"stratum-v1\",confidence=\"high\"} not >= 1:\n" + metrics);
            Assert.True(Sum("pooldetector_stratum_messages_total", ("dialect", "stratum-v1"), ("direction", "client")) > 0, "no miner-to-pool Stratum messages counted:\n" + metrics);
            Assert.True(Sum("pooldetector_stratum_messages_total", ("dialect", "stratum-v1"), ("direction", "server")) > 0, "no pool-to-miner Stratum messages counted:\n" + metrics);
            Assert.True(Sum("pooldetector_mining_hosts") == 1, "pooldetector_mining_hosts is not 1 (the one miner, 127.0.0.1):\n" + metrics);
            Assert.True(Sum("pooldetector_packets_total", ("interface", "lo"), ("stage", "captured")) > 0, "no packets captured on lo:\n" + metrics);
            Assert.Single(DaemonProcess.Samples(metrics, "pooldetector_build_info"));

            // A real Prometheus scraping the daemon returns it through its HTTP API.
            IReadOnlyList<PromSample> sum = [];
            var scraped = Wait.Until(() => (sum = prometheus.Query("sum(pooldetector_detections_total) > 0")).Count == 1, ScrapeTimeout);
            Assert.True(scraped, $"prometheus did not return sum(pooldetector_detections_total) > 0 within {ScrapeTimeout.TotalSeconds} s; targets: {prometheus.TargetsSummary()}");
            _output.WriteLine($"prometheus has it after {(clock.Elapsed - exchanged).TotalMilliseconds:F0} ms: {sum[0].Value}");
            Assert.True(sum[0].Value >= 1);
            var byLabels = prometheus.Query("pooldetector_detections_total{job=\"pooldetector\",category=\"mining\",dialect=\"stratum-v1\"}");
            Assert.True(byLabels.Sum(s => s.Value) >= 1, "no mining/stratum-v1 series in prometheus");
            Assert.All(byLabels, s => Assert.Equal("127.0.0.1:" + metricsPort.ToString(CultureInfo.InvariantCulture), s.Labels["instance"]));
            Assert.Equal(1, Assert.Single(prometheus.Query("up{job=\"pooldetector\"}")).Value);

            // Raised once per flow: the FIN that closed it added no second alert, but a flow_end
            // event with the flow's final counts (both shares), joined to the alert by flow_id.
            Assert.Single(daemon.Alerts(), a => a.GetProperty("src_port").GetInt32() == peers.ClientPort);
            List<JsonElement> ends = [];
            Wait.Until(() => (ends = [.. daemon.Events().Where(e => e.GetProperty("event_type").GetString() == "flow_end")]).Count > 0, AlertTimeout);
            var end = Assert.Single(ends);
            foreach (var field in new[] { "flow_id", "community_id", "timestamp", "src_port", "dest_port" })
            {
                Assert.Equal(alert.GetProperty(field).ToString(), end.GetProperty(field).ToString());
            }
            var final = end.GetProperty("mining");
            Assert.Equal((2, 2), (final.GetProperty("shares_submitted").GetInt32(), final.GetProperty("shares_accepted").GetInt32()));
            Assert.True(final.GetProperty("flow").GetProperty("pkts_toserver").GetInt64() > mining.GetProperty("flow").GetProperty("pkts_toserver").GetInt64());

            Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
            _output.WriteLine($"total {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            daemon?.Dispose();
            (prometheus ?? TryResult(prometheusStart))?.Dispose();
        }
    }

    [EndToEndFact("ip", "tcpreplay")]
    public void Replayed_capture_gives_the_same_detections_as_analyze()
    {
        var clock = Stopwatch.StartNew();
        var files = ReplayedCaptures.Select(f => Path.Combine(RepositoryPaths.Pcaps, f)).ToArray();

        // What analyze says about the very same files.
        var analyze = Cli.Cli.RunProcess(["analyze", "--format", "jsonl", .. files]);
        Assert.True(analyze.ExitCode == 1, $"analyze exit {analyze.ExitCode}: {analyze.Stderr}");
        var expected = analyze.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).Select(Key).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, expected.Distinct().Count());
        _output.WriteLine($"analyze: {expected.Count} detections in {clock.ElapsedMilliseconds} ms");

        using var scratch = new Cli.TempDirectory();
        var replayable = files.Select(f => EthernetRewrite.Replayable(f, scratch.Path)).ToArray();
        var packets = replayable.Sum(CountPackets);

        using var netns = NetworkNamespace.Create();
        using var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns);
        _output.WriteLine($"namespace {netns.Name} and daemon ready after {clock.ElapsedMilliseconds} ms");

        // Paced, file after file, in capture order: about 0.2 s for the lot.
        using var replay = ChildProcess.Run(NetworkNamespace.IpBinary,
            netns.Wrap("tcpreplay", ["--intf1=" + netns.ReplayInterface, "--pps=2000", .. replayable]), ReplayTimeout);
        Assert.True(replay.ExitCode == 0, replay.Describe());
        Assert.Contains($"Successful packets:        {packets}", replay.Stdout, StringComparison.Ordinal);
        Assert.Contains("Failed packets:            0", replay.Stdout, StringComparison.Ordinal);
        var replayed = clock.Elapsed;
        _output.WriteLine($"replayed {packets} packets after {replayed.TotalMilliseconds:F0} ms");

        var alerts = daemon.WaitForAlerts(expected.Count, ReplayTimeout);
        _output.WriteLine($"{alerts.Count} alerts after {(clock.Elapsed - replayed).TotalMilliseconds:F0} ms");
        // A moment more, so an extra (wrong) alert would be seen too.
        Thread.Sleep(1000);
        var actual = daemon.Alerts().Select(Key).ToList();

        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && actual.Count == expected.Count,
            $"daemon and analyze disagree.\nmissing from the daemon: {string.Join("; ", missing)}\nonly in the daemon: {string.Join("; ", extra)}\n" +
            $"daemon alerts: {actual.Count}, analyze: {expected.Count}\n{daemon.Describe()}");

        // Its metrics agree: every replayed frame captured and decoded, none dropped, every detection counted.
        var metrics = "";
        double Sum(string name, params (string, string)[] labels) => DaemonProcess.Samples(metrics, name, labels).Sum(s => s.Value);
        var captureInterface = netns.CaptureInterface;
        Wait.Until(() =>
        {
            metrics = daemon.Metrics();
            return Sum("pooldetector_packets_total", ("interface", captureInterface), ("stage", "captured")) >= packets &&
                   Sum("pooldetector_detections_total") >= expected.Count;
        }, AlertTimeout);
        Assert.True(Sum("pooldetector_packets_total", ("interface", captureInterface), ("stage", "captured")) == packets,
            $"pooldetector_packets_total{{interface=\"{captureInterface}\",stage=\"captured\"}} is not the {packets} packets replayed:\n{metrics}");
        foreach (var stage in new[] { "queue_dropped", "kernel_dropped" })
        {
            Assert.True(Sum("pooldetector_packets_total", ("interface", captureInterface), ("stage", stage)) == 0, $"packets {stage}:\n{metrics}");
        }
        Assert.True(Sum("pooldetector_engine_packets_total", ("outcome", "decoded")) == packets, $"not every replayed frame decoded:\n{metrics}");
        Assert.True(Sum("pooldetector_detections_total") == expected.Count, $"pooldetector_detections_total is not {expected.Count}:\n{metrics}");
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
        _output.WriteLine($"total {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>The identity of a detection: who, where to, what.</summary>
    private static string Key(JsonElement alert)
    {
        var mining = alert.GetProperty("mining");
        var vlan = alert.TryGetProperty("vlan", out var tags) ? " vlan " + string.Join('/', tags.EnumerateArray().Select(t => t.GetInt32())) : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{alert.GetProperty("src_ip").GetString()}:{alert.GetProperty("src_port").GetInt32()} -> " +
            $"{alert.GetProperty("dest_ip").GetString()}:{alert.GetProperty("dest_port").GetInt32()} " +
            $"{mining.GetProperty("category").GetString()}/{mining.GetProperty("dialect").GetString()}{vlan}");
    }

    private static JsonElement Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.Clone();
    }

    private static List<string> Evidence(JsonElement mining) =>
        [.. mining.GetProperty("evidence").EnumerateArray().Select(e => e.GetString() ?? "")];

    private static int CountPackets(string pcap)
    {
        var bytes = File.ReadAllBytes(pcap);
        var little = BitConverter.ToUInt32(bytes, 0) is 0xa1b2c3d4 or 0xa1b23c4d;
        var count = 0;
        for (var offset = 24; offset + 16 <= bytes.Length; count++)
        {
            var length = little
                ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8))
                : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 8));
            offset += 16 + (int)length;
        }
        return count;
    }

    private static PrometheusServer? TryResult(Task<PrometheusServer> start)
    {
        try
        {
            return start.Wait(TimeSpan.FromSeconds(40)) ? start.Result : null;
        }
        catch (AggregateException)
        {
            return null;
        }
    }
}
