using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Hosting;
using PoolDetector.Metrics;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Blocklist;
using PoolDetector.Testing;
using PoolDetector.Tests.Metrics;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>
/// The block list: who is on it (mining and medium pool contact, nobody else), in what order,
/// with what fields, for how long (a clock the test moves), on disk across a restart, and over
/// HTTP beside /metrics on the same port.
/// </summary>
public sealed class BlocklistTests
{
    private const long Minute = 60_000_000;
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly long T0 = SampleDetections.DesignExample.LastSeenMicros;

    private sealed class ManualTime(long nowMicros) : TimeProvider
    {
        public long NowMicros { get; set; } = nowMicros;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMicros / 1000);
    }

    private static MiningDetection Detection(string miner, DetectionCategory category = DetectionCategory.Mining, Confidence confidence = Confidence.High,
        string pool = "94.23.199.191", ushort poolPort = 3333, string dialect = "stratum-v1", bool open = false, long lastSeen = 0) =>
        SampleDetections.DesignExample with
        {
            FlowId = Random.Shared.NextInt64(1, long.MaxValue),
            MinerAddress = IpAddress.Parse(miner),
            Category = category,
            Confidence = confidence,
            PoolAddress = IpAddress.Parse(pool),
            PoolPort = poolPort,
            Dialect = dialect,
            FlowEnded = !open,
            LastSeenMicros = lastSeen == 0 ? T0 : lastSeen,
        };

    private static BlocklistService Service(DetectionAggregator aggregator, ManualTime time, OutputStatus? status = null, (string, string)? paths = null) =>
        new(aggregator, status ?? new OutputStatus(), Ttl, paths, time, NullLogger<BlocklistService>.Instance);

    private static string Text(BlocklistService service) => Encoding.ASCII.GetString(service.Current.Text);

    [Fact]
    public void Offenders_are_listed_sorted_and_leave_the_list_a_ttl_after_their_last_activity()
    {
        var aggregator = new DetectionAggregator(64, 64);
        var openFlow = Detection("10.1.2.4", open: true);
        foreach (var detection in new[]
        {
            Detection("10.1.2.3"),
            // The same host's pool contact adds a pool; mining stays its category.
            Detection("10.1.2.3", DetectionCategory.PoolContact, Confidence.Medium, "203.0.113.9", 443, "pool-tls-sni"),
            openFlow,
            Detection("10.1.2.10", DetectionCategory.PoolContact, Confidence.Medium, "203.0.113.9", 443, "pool-tls-sni"),
            Detection("10.1.2.20", DetectionCategory.PoolContact, Confidence.Low, "203.0.113.10", 3333, "pool-address"),
            Detection("10.1.2.30", DetectionCategory.CryptoNode, Confidence.High, "203.0.113.11", 8333, "bitcoin-p2p"),
            Detection("2001:db8::5", pool: "2001:db8:20::50"),
        })
        {
            aggregator.OnFirstReport(detection);
        }
        var time = new ManualTime(T0 + Minute);
        var status = new OutputStatus();
        var service = Service(aggregator, time, status);
        service.Refresh();

        // Numeric order, IPv4 first; low-confidence contact and node traffic are not offences.
        Assert.Equal("10.1.2.3\n10.1.2.4\n10.1.2.10\n2001:db8::5\n", Text(service));
        Assert.Equal(4, Volatile.Read(ref status.BlocklistEntries));
        using (var json = JsonDocument.Parse(service.Current.Json))
        {
            var entries = json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("ip").GetString()!);
            Assert.Equal(["10.1.2.3", "10.1.2.4", "10.1.2.10", "2001:db8::5"], json.RootElement.EnumerateArray().Select(e => e.GetProperty("ip").GetString()));
            var a = entries["10.1.2.3"];
            Assert.Equal(["ip", "first_seen", "last_seen", "expires", "category", "dialect", "pools"], a.EnumerateObject().Select(p => p.Name));
            Assert.Equal("2021-09-14T07:59:58Z", a.GetProperty("first_seen").GetString());
            Assert.Equal("2021-09-14T08:05:00Z", a.GetProperty("last_seen").GetString());
            Assert.Equal("2021-09-14T08:15:00Z", a.GetProperty("expires").GetString());
            Assert.Equal("mining", a.GetProperty("category").GetString());
            Assert.Equal("stratum-v1", a.GetProperty("dialect").GetString());
            Assert.Equal(["203.0.113.9:443", "94.23.199.191:3333"], a.GetProperty("pools").EnumerateArray().Select(p => p.GetString()));
            Assert.Equal(JsonValueKind.Null, entries["10.1.2.4"].GetProperty("expires").ValueKind);
            Assert.Equal("pool-contact", entries["10.1.2.10"].GetProperty("category").GetString());
            Assert.Equal("pool-tls-sni", entries["10.1.2.10"].GetProperty("dialect").GetString());
            Assert.Equal(["[2001:db8:20::50]:3333"], entries["2001:db8::5"].GetProperty("pools").EnumerateArray().Select(p => p.GetString()));
        }

        // Just before the TTL is up they are all there; past it only the host still mining.
        time.NowMicros = T0 + (10 * Minute) - 1000;
        service.Refresh();
        Assert.Equal(4, service.Current.Entries.Count);
        time.NowMicros = T0 + (10 * Minute) + 1000;
        service.Refresh();
        Assert.Equal("10.1.2.4\n", Text(service));

        // Its flow ends later: the TTL counts from that flow's last packet.
        aggregator.OnFlowEnd(openFlow with { ReportedBefore = true, FlowEnded = true, LastSeenMicros = T0 + (11 * Minute) });
        time.NowMicros = T0 + (20 * Minute);
        service.Refresh();
        Assert.Equal("10.1.2.4\n", Text(service));
        Assert.Equal("2021-09-14T08:26:00Z", service.Current.Entries[0].ExpiresMicros is { } at ? BlocklistBuilder.FormatTime(at) : "null");
        time.NowMicros = T0 + (21 * Minute) + 1000;
        service.Refresh();
        Assert.Equal("", Text(service));
        Assert.Equal("[]\n", Encoding.ASCII.GetString(service.Current.Json));
        Assert.Equal(0, Volatile.Read(ref status.BlocklistEntries));
    }

    [Fact]
    public async Task The_file_is_replaced_whole_on_change_and_read_back_after_a_restart()
    {
        using var scratch = new Cli.TempDirectory();
        var paths = (Path.Combine(scratch.Path, "blocklist.txt"), Path.Combine(scratch.Path, "blocklist.json"));
        var aggregator = new DetectionAggregator(64, 64);
        aggregator.OnFirstReport(Detection("10.1.2.3"));
        var time = new ManualTime(T0 + Minute);

        var first = Service(aggregator, time, paths: paths);
        await first.StartAsync(CancellationToken.None);
        Assert.Equal("10.1.2.3\n", File.ReadAllText(paths.Item1));
        Assert.Equal(first.Current.Json, File.ReadAllBytes(paths.Item2));
        Assert.Empty(Directory.GetFiles(scratch.Path, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(scratch.Path, ".*")));
        // Unchanged: not written again (a firewall watching the file reloads only on change).
        var written = File.GetLastWriteTimeUtc(paths.Item1);
        File.SetLastWriteTimeUtc(paths.Item1, written.AddMinutes(-5));
        first.Refresh();
        Assert.Equal(written.AddMinutes(-5), File.GetLastWriteTimeUtc(paths.Item1));
        // A new offender: both files replaced.
        aggregator.OnFirstReport(Detection("10.1.2.9", lastSeen: T0 + Minute));
        first.Refresh();
        Assert.Equal("10.1.2.3\n10.1.2.9\n", File.ReadAllText(paths.Item1));
        await first.StopAsync(CancellationToken.None);
        first.Dispose();

        // Restart: nothing detected yet, the blocks of the last run stand until they expire.
        time.NowMicros = T0 + (5 * Minute);
        var second = Service(new DetectionAggregator(64, 64), time, paths: paths);
        await second.StartAsync(CancellationToken.None);
        Assert.Equal("10.1.2.3\n10.1.2.9\n", Text(second));
        Assert.Equal("2021-09-14T08:15:00Z", BlocklistBuilder.FormatTime(second.Current.Entries[0].ExpiresMicros!.Value));
        time.NowMicros = T0 + (10 * Minute) + 1000;
        second.Refresh();
        Assert.Equal("10.1.2.9\n", File.ReadAllText(paths.Item1));
        time.NowMicros = T0 + (11 * Minute) + 1000;
        second.Refresh();
        Assert.Equal("", File.ReadAllText(paths.Item1));
        Assert.Equal("[]\n", File.ReadAllText(paths.Item2));
        await second.StopAsync(CancellationToken.None);
        second.Dispose();

        // A damaged file is no reason not to start.
        File.WriteAllText(paths.Item2, "[{\"ip\": \"not an address\"}, 42");
        var third = Service(new DetectionAggregator(64, 64), time, paths: paths);
        await third.StartAsync(CancellationToken.None);
        Assert.Equal("", Text(third));
        await third.StopAsync(CancellationToken.None);
        third.Dispose();
    }

    [Fact]
    public async Task Served_on_the_metrics_port_beside_metrics()
    {
        var aggregator = new DetectionAggregator(64, 64);
        aggregator.OnFirstReport(Detection("10.1.2.3"));
        var status = new SensorStatus(["eth0"]);
        var service = Service(aggregator, new ManualTime(T0 + Minute), status.Outputs);
        service.Refresh();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new PrometheusSensorMetrics(registry, status);
        var port = Wait.FreeTcpPort();
        using var metrics = new MetricsServerService("127.0.0.1", port, registry, NullLogger<MetricsServerService>.Instance);
        using var endpoint = new BlocklistEndpoint("127.0.0.1", port, service, NullLogger<BlocklistEndpoint>.Instance);
        await metrics.StartAsync(CancellationToken.None);
        await endpoint.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient();
            var root = $"http://127.0.0.1:{port}";
            var scrape = Exposition.Parse(await http.GetStringAsync(new Uri(root + "/metrics")));
            Assert.Equal(1, scrape["pooldetector_blocklist_entries{}"]);
            Assert.Equal(0, scrape["pooldetector_output_events_total{output=\"webhook\",result=\"dropped\"}"]);

            using var text = await http.GetAsync(new Uri(root + "/blocklist.txt"));
            Assert.Equal(HttpStatusCode.OK, text.StatusCode);
            Assert.Equal("text/plain", text.Content.Headers.ContentType?.MediaType);
            Assert.True(text.Headers.CacheControl?.NoStore);
            Assert.Equal("10.1.2.3\n", await text.Content.ReadAsStringAsync());

            using var json = await http.GetAsync(new Uri(root + "/blocklist.json"));
            Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
            using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
            Assert.Equal("10.1.2.3", Assert.Single(document.RootElement.EnumerateArray()).GetProperty("ip").GetString());

            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, root + "/blocklist.txt"));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(9, head.Content.Headers.ContentLength);
            using var post = await http.PostAsync(new Uri(root + "/blocklist.txt"), new StringContent("x"));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            using var deeper = await http.GetAsync(new Uri(root + "/blocklist.txt/more"));
            Assert.Equal(HttpStatusCode.NotFound, deeper.StatusCode);
        }
        finally
        {
            await endpoint.StopAsync(CancellationToken.None);
            await metrics.StopAsync(CancellationToken.None);
        }
    }
}
