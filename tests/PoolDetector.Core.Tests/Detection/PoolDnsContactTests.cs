using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using static PoolDetector.Core.Tests.Detection.DnsMessages;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// DNS look-ups of pool names (pool-dns) and the connections they lead to (pool-address-dns):
/// the answer's addresses are bound to the client that asked, for the answer's TTL (60 s at least).
/// </summary>
public class PoolDnsContactTests
{
    private const string Querier = "10.0.0.5";
    private const string OtherHost = "10.0.0.6";
    private const string Resolver = "10.0.0.53";
    private const string PoolAddress = "203.0.113.7";
    private const string PoolName = "pool.supportxmr.com";
    private const long Second = 1_000_000;

    private static void LookUp(ContactHarness harness, string name, uint ttl = 300, string address = PoolAddress)
    {
        harness.Udp(Querier, 53001, Resolver, 53, Query(name));
        harness.Udp(Resolver, 53, Querier, 53001, Response(name, A(name, address, ttl)));
    }

    [Theory]
    [InlineData("pool.supportxmr.com", "pool.supportxmr.com")]
    [InlineData("POOL.SupportXMR.com", "pool.supportxmr.com")]
    [InlineData("supportxmr.com", "supportxmr.com")]
    public void A_query_for_a_listed_pool_name_is_pool_dns_from_the_querier(string asked, string name)
    {
        var harness = new ContactHarness();
        harness.Udp(Querier, 53001, Resolver, 53, Query(asked));
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("pool-dns", d.Dialect);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal(9000302, d.SignatureId);
        Assert.Equal(2, d.Severity);
        Assert.Equal("dns", d.AppProtocol);
        Assert.Equal(TransportProtocol.Udp, d.Transport);
        Assert.Equal(IpAddress.Parse(Querier), d.MinerAddress);
        Assert.Equal(53001, d.MinerPort);
        Assert.Equal(IpAddress.Parse(Resolver), d.PoolAddress);
        Assert.Equal(53, d.PoolPort);
        Assert.Equal(name, d.PoolHost);
        Assert.Equal(["dns-query:" + name, "intel:pools.tsv:supportxmr.com"], d.Evidence);
        Assert.Equal(1, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal(0, harness.Engine.InspectionCounters.DnsMalformed);
    }

    [Fact]
    public void The_answer_is_noted_on_the_dns_flow_and_binds_the_address_to_the_querier()
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName);
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal("pool-dns", d.Dialect);
        Assert.Equal(IpAddress.Parse(Querier), d.MinerAddress);
        Assert.Equal(["dns-query:pool.supportxmr.com", "intel:pools.tsv:supportxmr.com", "dns-answer:pool.supportxmr.com=203.0.113.7"], d.Evidence);
        Assert.Equal(2, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal(1, harness.Engine.DnsAnswers.Count);
        Assert.True(harness.Engine.DnsAnswers.TryGet(IpAddress.Parse(Querier), IpAddress.Parse(PoolAddress), ContactHarness.Start, out var binding));
        Assert.Equal(PoolName, binding.Name);
        // Nothing about the resolver: a DNS flow's server is not the pool.
        Assert.Equal(0, harness.Engine.History.Count);
    }

    [Theory]
    [InlineData("www.example.org")]
    [InlineData("supportxmr.com.example.org")]
    [InlineData("notsupportxmr.com")]
    [InlineData("xmr.2miners.com")] // weak intel: names a flagged flow, never flags one
    public void Other_names_report_nothing_and_bind_nothing(string name)
    {
        var harness = new ContactHarness();
        LookUp(harness, name);
        harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake().Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(0, harness.Engine.DnsAnswers.Count);
        Assert.Equal(2, harness.Engine.InspectionCounters.DnsMessages);
    }

    /// <summary>
    /// The querier's next connection to the answered address is pool contact naming the pool:
    /// low on the binding alone, medium when XMRig's TLS client shape agrees.
    /// </summary>
    [Theory]
    [InlineData(false, Confidence.Low)]
    [InlineData(true, Confidence.Medium)]
    public void The_queriers_connection_to_the_answered_address_is_pool_address_dns(bool xmrigHello, Confidence confidence)
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName);
        harness.Advance(TimeSpan.FromSeconds(2));
        var flow = harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake();
        if (xmrigHello)
        {
            flow.Client(Hellos.Xmrig());
        }
        flow.Close();
        harness.Finish();

        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(9000307, d.SignatureId);
        Assert.Equal(confidence, d.Confidence);
        Assert.Equal(IpAddress.Parse(Querier), d.MinerAddress);
        Assert.Equal(40000, d.MinerPort);
        Assert.Equal(IpAddress.Parse(PoolAddress), d.PoolAddress);
        Assert.Equal(PoolName, d.PoolHost);
        Assert.Equal(TransportProtocol.Tcp, d.Transport);
        string[] expected = xmrigHello
            ? ["tls-client:no-sni-no-alpn", "dns-bound:pool.supportxmr.com=203.0.113.7", .. Hellos.Fingerprints(Hellos.Xmrig())]
            : ["dns-bound:pool.supportxmr.com=203.0.113.7"];
        Assert.Equal(expected, d.Evidence);
        Assert.Equal(xmrigHello ? "tls" : "unknown", d.AppProtocol);
    }

    [Fact]
    public void A_syn_nobody_answers_is_still_contact()
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName);
        harness.Tcp(Querier, 40000, PoolAddress, 3333).SynOnly();
        harness.Finish();

        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(Confidence.Low, d.Confidence);
        Assert.Equal(["dns-bound:pool.supportxmr.com=203.0.113.7"], d.Evidence);
    }

    [Fact]
    public void Another_client_connecting_to_the_answered_address_is_not_bound()
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName);
        harness.Tcp(OtherHost, 40000, PoolAddress, 3333).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Tcp(OtherHost, 40001, PoolAddress, 3333).Handshake().Close();
        harness.Finish();

        Assert.Null(harness.To(3333));
        Assert.Equal("pool-dns", Assert.Single(harness.Detections).Dialect);
    }

    [Fact]
    public void The_querier_connecting_to_another_address_is_not_bound()
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName);
        harness.Tcp(Querier, 40000, "203.0.113.8", 3333).Handshake().Close();
        harness.Finish();

        Assert.Null(harness.To(3333));
    }

    [Fact]
    public void An_alias_of_a_pool_name_binds_the_address_it_leads_to()
    {
        var harness = new ContactHarness();
        harness.Udp(Querier, 53001, Resolver, 53, Query("miner.corp.example"));
        harness.Udp(Resolver, 53, Querier, 53001, Response("miner.corp.example",
            Cname("miner.corp.example", PoolName), A(PoolName, "203.0.113.8")));
        harness.Tcp(Querier, 40000, "203.0.113.8", 3333).Handshake().Close();
        harness.Finish();

        var dns = harness.To(53);
        Assert.NotNull(dns);
        Assert.Equal("pool-dns", dns.Dialect);
        Assert.Equal(PoolName, dns.PoolHost);
        Assert.Equal(["dns-cname:miner.corp.example->pool.supportxmr.com", "intel:pools.tsv:supportxmr.com", "dns-answer:pool.supportxmr.com=203.0.113.8"], dns.Evidence);
        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(PoolName, d.PoolHost);
        Assert.Equal(["dns-bound:pool.supportxmr.com=203.0.113.8"], d.Evidence);
    }

    [Fact]
    public void A_pool_name_behind_a_cdn_alias_binds_the_cdn_address_under_the_pool_name()
    {
        var harness = new ContactHarness();
        harness.Udp(Querier, 53001, Resolver, 53, Query(PoolName));
        harness.Udp(Resolver, 53, Querier, 53001, Response(PoolName,
            Cname(PoolName, "edge.cdn.example"), Cname("edge.cdn.example", "edge7.cdn.example"), A("edge7.cdn.example", "203.0.113.9")));
        harness.Tcp(Querier, 40000, "203.0.113.9", 3333).Handshake().Close();
        harness.Finish();

        var dns = harness.To(53);
        Assert.NotNull(dns);
        Assert.Equal(["dns-query:pool.supportxmr.com", "intel:pools.tsv:supportxmr.com", "dns-answer:pool.supportxmr.com=203.0.113.9"], dns.Evidence);
        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal(["dns-bound:pool.supportxmr.com=203.0.113.9"], d.Evidence);
    }

    [Fact]
    public void An_aaaa_answer_binds_the_ipv6_address()
    {
        var harness = new ContactHarness();
        harness.Udp("2001:db8:10::5", 53001, "2001:db8:10::53", 53, Query(PoolName, PoolDetector.Core.Protocols.Dns.DnsRecordType.Aaaa));
        harness.Udp("2001:db8:10::53", 53, "2001:db8:10::5", 53001, Response(PoolName, Aaaa(PoolName, "2001:db8:ff::7")));
        harness.Tcp("2001:db8:10::5", 40000, "2001:db8:ff::7", 3333).Handshake().Close();
        harness.Finish();

        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(["dns-bound:pool.supportxmr.com=2001:db8:ff::7"], d.Evidence);
    }

    /// <summary>The binding lasts max(TTL, 60 s) of packet time after the answer.</summary>
    [Theory]
    [InlineData(0u, 59, true)]
    [InlineData(5u, 59, true)]
    [InlineData(5u, 61, false)]
    [InlineData(300u, 299, true)]
    [InlineData(300u, 301, false)]
    [InlineData(100_000u, 86_399, true)]
    [InlineData(100_000u, 86_401, false)]
    public void The_binding_expires_after_the_ttl_but_never_before_a_minute(uint ttl, int secondsLater, bool bound)
    {
        var harness = new ContactHarness();
        harness.Udp(Querier, 53001, Resolver, 53, Query(PoolName));
        var answeredAt = harness.Now;
        harness.Udp(Resolver, 53, Querier, 53001, Response(PoolName, A(PoolName, PoolAddress, ttl)));
        harness.Now = answeredAt + (secondsLater * Second);
        harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake().Close();
        harness.Finish();

        var d = harness.To(3333);
        if (bound)
        {
            Assert.NotNull(d);
            Assert.Equal("pool-address-dns", d.Dialect);
        }
        else
        {
            Assert.Null(d);
        }
    }

    /// <summary>
    /// A miner looks the pool up and stays connected for hours, far past the answer's TTL: the
    /// connection was made to the answered address while the answer held, so it is bound, however
    /// long it lasts and whenever it is judged (offline, at its end).
    /// </summary>
    [Fact]
    public void A_connection_made_while_the_answer_held_stays_bound_however_long_it_lasts()
    {
        var harness = new ContactHarness();
        LookUp(harness, PoolName, ttl: 300);
        harness.Advance(TimeSpan.FromSeconds(1));
        var flow = harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake().Client(Hellos.Xmrig());
        for (var i = 0; i < 60; i++)
        {
            harness.Advance(TimeSpan.FromSeconds(60));
            flow.Client([0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]).Server([0x17, 0x03, 0x03, 0x00, 0x04, 5, 6, 7, 8]);
        }
        // A second, short connection made after the answer ran out ends (and is judged) first.
        harness.Tcp(Querier, 40001, PoolAddress, 3333).Handshake().Close();
        harness.Advance(TimeSpan.FromSeconds(11));
        flow.Client([0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]);
        Assert.Equal(1, harness.Engine.ActiveFlows);
        flow.Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections, d => d.MinerPort == 40000);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal(PoolName, d.PoolHost);
        Assert.DoesNotContain(harness.Detections, d => d.MinerPort == 40001);
    }

    [Fact]
    public void A_query_over_tcp_split_inside_its_length_prefix_is_pool_dns()
    {
        var harness = new ContactHarness();
        var query = Protocols.Dns.DnsTestKit.Frame(Query(PoolName));
        var response = Protocols.Dns.DnsTestKit.Frame(Response(PoolName, A(PoolName, PoolAddress)));
        harness.Tcp(Querier, 53002, Resolver, 53).Handshake().Client(query, 1, 20).Server(response, 30).Close();
        harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake().Close();
        harness.Finish();

        var dns = harness.To(53);
        Assert.NotNull(dns);
        Assert.Equal("pool-dns", dns.Dialect);
        Assert.Equal(TransportProtocol.Tcp, dns.Transport);
        Assert.Equal("dns", dns.AppProtocol);
        Assert.Equal(["dns-query:pool.supportxmr.com", "intel:pools.tsv:supportxmr.com", "dns-answer:pool.supportxmr.com=203.0.113.7"], dns.Evidence);
        Assert.Equal(2, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal("pool-address-dns", harness.To(3333)?.Dialect);
    }

    /// <summary>An operator who leaves the XMRig client shape's dialect out of the rules switches that signal off: it no longer raises confidence either.</summary>
    [Fact]
    public void A_signal_switched_off_in_the_rules_does_not_raise_confidence()
    {
        var harness = new ContactHarness(ContactRules.With(withoutDialects: "xmrig-tls-client"));
        LookUp(harness, PoolName);
        harness.Tcp(Querier, 40000, PoolAddress, 3333).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Finish();

        var d = harness.To(3333);
        Assert.NotNull(d);
        Assert.Equal("pool-address-dns", d.Dialect);
        Assert.Equal(Confidence.Low, d.Confidence);
    }
}
