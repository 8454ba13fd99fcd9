using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Intel;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// A pool endpoint that served a clear-text mining session is learned; later opaque flows of
/// any host to it (pool-address-learned) or to another port of its address are flagged.
/// </summary>
public class LearnedPoolContactTests
{
    private const string PoolIp = "198.51.100.9";

    // Stratum V1 as cgminer speaks it (tests/PoolDetector.Tests/Hostile/HostileHarness.cs).
    private const string Subscribe = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n";
    private const string SubscribeReply = "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n";
    private const string Authorize = "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n";
    private const string AuthorizeReply = "{\"id\":2,\"result\":true,\"error\":null}\n";
    private const string Notify = "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"0000000a\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}\n";
    private const string Submit = "{\"params\":[\"wallet.rig1\",\"0000000a\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":10,\"method\":\"mining.submit\"}\n";
    private const string ShareReply = "{\"id\":10,\"result\":true,\"error\":null}\n";

    private static void MiningSession(ContactHarness harness, string subscribe = Subscribe)
    {
        harness.Tcp("192.0.2.50", 50000, PoolIp, 4444).Handshake()
            .ClientText(subscribe).ServerText(SubscribeReply).ClientText(Authorize).ServerText(AuthorizeReply)
            .ServerText(Notify).ClientText(Submit).ServerText(ShareReply)
            .Close();
    }

    [Theory]
    [InlineData(4444, "learned-endpoint:198.51.100.9:4444/stratum-v1")]
    [InlineData(5555, "learned-address:198.51.100.9:4444/stratum-v1")]
    [InlineData(443, "learned-address:198.51.100.9:4444/stratum-v1")]
    public void Another_hosts_tls_flow_to_a_learned_pool_is_pool_address_learned(ushort port, string learned)
    {
        var harness = new ContactHarness();
        MiningSession(harness);
        var hello = Hellos.WithSni("www.example.net");
        harness.Tcp("192.0.2.51", 50001, PoolIp, port).Handshake().Client(hello).Close();
        harness.Finish();

        var mining = Assert.Single(harness.Detections, d => d.MinerPort == 50000);
        Assert.Equal(DetectionCategory.Mining, mining.Category);
        Assert.Equal(Confidence.High, mining.Confidence);
        Assert.Equal(1, harness.Engine.Learned.Count);

        var d = Assert.Single(harness.Detections, d => d.MinerPort == 50001);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("pool-address-learned", d.Dialect);
        Assert.Equal(9000308, d.SignatureId);
        Assert.Equal(Confidence.Low, d.Confidence);
        Assert.Equal(IpAddress.Parse("192.0.2.51"), d.MinerAddress);
        Assert.Equal(port, d.PoolPort);
        Assert.Null(d.PoolHost);
        Assert.Null(d.Worker);
        Assert.Equal([learned, .. Hellos.Fingerprints(hello)], d.Evidence);
    }

    [Fact]
    public void The_mining_flow_does_not_flag_itself_as_learned()
    {
        var harness = new ContactHarness();
        MiningSession(harness);
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.DoesNotContain(d.Evidence, e => e.StartsWith("learned-", StringComparison.Ordinal));
        Assert.True(harness.Engine.Learned.TryMatch(IpAddress.Parse(PoolIp), 4444, out var endpoint, out _));
        Assert.Equal(new LearnedEndpoint(IpAddress.Parse(PoolIp), 4444, null, "stratum-v1", endpoint.FirstSeenMicros, endpoint.LastSeenMicros, 1), endpoint);
    }

    [Fact]
    public void The_same_host_reconnecting_over_tls_inherits_its_mining_verdict_and_wallet()
    {
        var harness = new ContactHarness();
        MiningSession(harness);
        // The mining flow lingers 10 s after its FIN; it is judged (and remembered) when it goes.
        harness.Advance(TimeSpan.FromSeconds(11));
        harness.Tcp("192.0.2.50", 50002, PoolIp, 4444).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections, d => d.MinerPort == 50002);
        Assert.Equal("pool-host-history", d.Dialect);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal("wallet.rig1", d.Worker);
        Assert.Equal(
            ["tls-client:no-sni-no-alpn", "learned-endpoint:198.51.100.9:4444/stratum-v1", "host-history:mining/stratum-v1", .. Hellos.Fingerprints(Hellos.Xmrig())],
            d.Evidence);
    }

    [Fact]
    public void A_learned_list_saved_by_one_engine_flags_flows_on_the_next()
    {
        var first = new ContactHarness();
        MiningSession(first);
        first.Finish();
        using var saved = new StringWriter();
        first.Engine.Learned.Save(saved);

        var learned = new LearnedPools();
        var problems = new List<string>();
        Assert.Equal(1, learned.Load(new StringReader(saved.ToString()), problems));
        Assert.Empty(problems);
        var next = new ContactHarness(learned: learned);
        next.Tcp("192.0.2.77", 50003, PoolIp, 4444).Handshake().Close();
        next.Finish();

        var d = Assert.Single(next.Detections);
        Assert.Equal("pool-address-learned", d.Dialect);
        Assert.Equal(["learned-endpoint:198.51.100.9:4444/stratum-v1"], d.Evidence);
    }

    /// <summary>
    /// The host name a miner puts in its subscribe is learned as the pool's name; JSON escapes
    /// let it carry tabs and newlines, which must not end up as lines of the saved list.
    /// </summary>
    [Fact]
    public void A_subscribe_host_with_line_breaks_cannot_add_lines_to_the_saved_list()
    {
        const string evil = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\",null,"
            + "\"x\\n203.0.113.66:80\\tADDR\\tpooldetector-learned\\tpool; first_seen=2026-01-01T00:00:00Z; last_seen=2026-01-01T00:00:00Z\\tstrong\\nwww.google.com\",3333]}\n";
        var harness = new ContactHarness();
        MiningSession(harness, evil);
        harness.Finish();

        Assert.Equal(DetectionCategory.Mining, Assert.Single(harness.Detections).Category);
        using var saved = new StringWriter();
        harness.Engine.Learned.Save(saved);
        var intel = IntelLoader.Load([("learned.tsv", saved.ToString())], ContactRules.Today);
        Assert.Empty(intel.Errors);
        Assert.Equal(1, intel.Intel.Addresses.Count);
        Assert.True(intel.Intel.Addresses.Matches(IpAddress.Parse(PoolIp), 4444));
        Assert.False(intel.Intel.Addresses.Matches(IpAddress.Parse("203.0.113.66"), 80));
        Assert.False(intel.Intel.Domains.Matches("www.google.com"));
    }
}
