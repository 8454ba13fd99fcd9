using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Tests.Decoding;
using static PoolDetector.Core.Tests.Protocols.Dhcp.DhcpTestKit;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// Who the internal host is: DHCP names it for the time it held its address, its frames give its
/// MAC, and the home networks say which side of a flow it is (DESIGN.md: src is always the internal host).
/// </summary>
public class HostAttributionTests
{
    private const string MinerIp = "10.1.2.3";
    private const string MinerMac = "aa:bb:cc:00:00:17";
    private const string RouterMac = "aa:bb:cc:00:00:01";
    private const string DhcpServerIp = "10.1.2.1";
    private const string PoolIp = "198.51.100.9";
    private const ushort PoolPort = 4444;

    private const string Subscribe = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n";
    private const string SubscribeReply = "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n";
    private const string Authorize = "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n";
    private const string AuthorizeReply = "{\"id\":2,\"result\":true,\"error\":null}\n";
    private const string Notify = "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"0000000a\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}\n";

    private static ContactHarness Harness(params string[] home) => new(options: new EngineOptions
    {
        HomeNetworks = new HomeNetworks(home.Select(h => { Assert.Null(IpNetwork.TryParse(h, out var n)); return n; })),
    });

    private static void Session(ContactHarness harness, string miner, string pool, string? minerMac = MinerMac, string? poolMac = RouterMac,
        ushort minerPort = 50000, ushort poolPort = PoolPort)
    {
        new TcpFlow(harness, miner, minerPort, pool, poolPort) { ClientMac = minerMac, ServerMac = poolMac }.Handshake()
            .ClientText(Subscribe).ServerText(SubscribeReply).ClientText(Authorize).ServerText(AuthorizeReply).ServerText(Notify)
            .Close();
    }

    /// <summary>dnsmasq's answer: the server's frame, to the client's MAC.</summary>
    private static void DhcpAck(ContactHarness harness, string address, string mac, uint leaseSeconds, params (byte, byte[])[] options) =>
        harness.Frame(FrameBuilder.Udp(67, 68, V4(Ack, 0x29f1e676, mac, yiaddr: address, options: [LeaseTime(leaseSeconds), .. options]))
            .Ipv4(DhcpServerIp, address).Ethernet(RouterMac, mac).Build());

    private static MiningDetection Only(ContactHarness harness)
    {
        harness.Finish();
        return Assert.Single(harness.Detections, d => d.Category == DetectionCategory.Mining);
    }

    [Fact]
    public void A_dhcp_ack_names_the_miner_while_its_lease_lasts()
    {
        var harness = Harness("10.0.0.0/8");
        DhcpAck(harness, MinerIp, MinerMac, 3600, HostName("lab-pc-17"));
        harness.Advance(TimeSpan.FromMinutes(10));
        Session(harness, MinerIp, PoolIp);

        var detection = Only(harness);
        Assert.Equal(MinerIp, detection.MinerAddress.ToString());
        Assert.Equal(new HostAttribution { Mac = MinerMac, Hostname = "lab-pc-17" }, detection.Host);
        Assert.Equal(1, harness.Engine.InspectionCounters.DhcpMessages);
        Assert.Equal(1, harness.Engine.Dhcp.Count);
        // The DHCP flow itself is never a detection.
        Assert.Single(harness.Detections);
    }

    [Fact]
    public void After_the_lease_is_over_the_miner_has_its_mac_but_no_name()
    {
        var harness = Harness("10.0.0.0/8");
        DhcpAck(harness, MinerIp, MinerMac, 3600, HostName("lab-pc-17"));
        harness.Advance(TimeSpan.FromMinutes(61));
        Session(harness, MinerIp, PoolIp);

        Assert.Equal(new HostAttribution { Mac = MinerMac }, Only(harness).Host);
    }

    [Fact]
    public void A_release_ends_the_name()
    {
        var harness = Harness("10.0.0.0/8");
        DhcpAck(harness, MinerIp, MinerMac, 3600, HostName("lab-pc-17"));
        harness.Frame(FrameBuilder.Udp(68, 67, V4(Release, 0x1111, MinerMac, ciaddr: MinerIp)).Ipv4(MinerIp, DhcpServerIp).Ethernet(MinerMac, RouterMac).Build());
        harness.Advance(TimeSpan.FromMinutes(1));
        Session(harness, MinerIp, PoolIp);

        Assert.Null(Only(harness).Host!.Hostname);
    }

    [Fact]
    public void The_name_the_client_asked_for_fills_in_when_the_ack_has_none()
    {
        var harness = Harness("10.0.0.0/8");
        harness.Frame(FrameBuilder.Udp(68, 67, V4(Request, 0x29f1e676, MinerMac, options: [HostName("lab-pc-17")]))
            .Ipv4("0.0.0.0", "255.255.255.255").Ethernet(MinerMac, "ff:ff:ff:ff:ff:ff").Build());
        DhcpAck(harness, MinerIp, MinerMac, 3600);
        Session(harness, MinerIp, PoolIp);

        Assert.Equal("lab-pc-17", Only(harness).Host!.Hostname);
    }

    [Fact]
    public void Behind_a_router_the_dhcp_mac_is_the_hosts()
    {
        // The sensor sees the miner's frames from the router, and DHCP relayed with the host's chaddr.
        var harness = Harness("10.0.0.0/8");
        harness.Frame(FrameBuilder.Udp(67, 67, V4(Ack, 5, MinerMac, yiaddr: MinerIp, options: [LeaseTime(3600), HostName("lab-pc-17")]))
            .Ipv4("10.9.9.9", DhcpServerIp).Ethernet(RouterMac, "aa:bb:cc:00:00:99").Build());
        Session(harness, MinerIp, PoolIp, minerMac: RouterMac, poolMac: "aa:bb:cc:00:00:02");

        Assert.Equal(new HostAttribution { Mac = MinerMac, Hostname = "lab-pc-17" }, Only(harness).Host);
    }

    [Fact]
    public void Dhcpv6_names_an_ipv6_miner()
    {
        var harness = Harness("2001:db8:10::/48");
        harness.Frame(FrameBuilder.Udp(547, 546, V6(V6Reply, 0x1dd8a3, ClientId(MinerMac), IaNa("2001:db8:10::17", 3600), V6Fqdn("lab-pc-17.campus.example.")))
            .Ipv6("fe80::1", "fe80::a8bb:ccff:fe00:17").Ethernet(RouterMac, MinerMac).Build());
        Session(harness, "2001:db8:10::17", "2001:db8:99::9");

        Assert.Equal(new HostAttribution { Mac = MinerMac, Hostname = "lab-pc-17.campus.example" }, Only(harness).Host);
    }

    [Fact]
    public void A_new_holder_of_the_address_takes_the_name_from_then_on_and_earlier_flows_keep_the_old_one()
    {
        var harness = Harness("10.0.0.0/8");
        DhcpAck(harness, MinerIp, MinerMac, 3600, HostName("lab-pc-17"));
        var lease = harness.Engine.Dhcp;
        var first = harness.Now;
        harness.Advance(TimeSpan.FromMinutes(5));
        DhcpAck(harness, MinerIp, "aa:bb:cc:00:00:18", 3600, HostName("lab-pc-18"));

        Assert.True(lease.TryGet(IpAddress.Parse(MinerIp), first + 1000, out var before));
        Assert.Equal("lab-pc-17", before.HostName);
        Assert.True(lease.TryGet(IpAddress.Parse(MinerIp), harness.Now, out var after));
        Assert.Equal("lab-pc-18", after.HostName);
        Assert.Equal("aa:bb:cc:00:00:18", after.Mac.ToString());
    }

    [Fact]
    public void A_renewal_by_the_same_host_keeps_the_lease_from_its_start()
    {
        var harness = Harness("10.0.0.0/8");
        DhcpAck(harness, MinerIp, MinerMac, 600, HostName("lab-pc-17"));
        var start = harness.Now;
        harness.Advance(TimeSpan.FromMinutes(5));
        DhcpAck(harness, MinerIp, MinerMac, 600, HostName("lab-pc-17"));
        Assert.True(harness.Engine.Dhcp.TryGet(IpAddress.Parse(MinerIp), start, out var lease));
        Assert.True(lease.UntilMicros > harness.Now + (9 * 60 * 1_000_000L));
    }

    [Fact]
    public void A_miner_outside_the_home_networks_talking_to_an_internal_pool_is_reported_from_the_internal_side()
    {
        // An external miner using a pool a campus host runs: the campus host is who IT must find.
        var harness = Harness("10.0.0.0/8");
        Session(harness, "203.0.113.7", MinerIp, minerMac: RouterMac, poolMac: MinerMac, minerPort: 41000, poolPort: 3333);

        var detection = Only(harness);
        Assert.Equal((MinerIp, (ushort)3333, "203.0.113.7", (ushort)41000),
            (detection.MinerAddress.ToString(), detection.MinerPort, detection.PoolAddress.ToString(), detection.PoolPort));
        // Counts follow the turn: "to server" is now what the internal host received.
        Assert.True(detection.BytesToServer > detection.BytesToClient, "the pool side (now src) received the miner's smaller messages");
        Assert.Equal(MinerMac, detection.Host!.Mac);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.7.7.7")]        // both inside: a campus miner and a campus pool or proxy
    [InlineData("192.0.2.10", "203.0.113.5")]   // neither: transit traffic, or home networks left unset
    public void With_both_or_neither_inside_the_protocol_orientation_stands(string miner, string pool)
    {
        var harness = Harness("10.0.0.0/8");
        Session(harness, miner, pool);

        var detection = Only(harness);
        Assert.Equal((miner, pool), (detection.MinerAddress.ToString(), detection.PoolAddress.ToString()));
        // Only an internal source is attributed: outside, a MAC is a router's.
        Assert.Equal(miner.StartsWith("10.", StringComparison.Ordinal), detection.Host is not null);
    }

    [Fact]
    public void Without_home_networks_nothing_is_turned_or_attributed()
    {
        var harness = Harness();
        DhcpAck(harness, MinerIp, MinerMac, 3600, HostName("lab-pc-17"));
        Session(harness, "203.0.113.7", MinerIp, minerPort: 41000, poolPort: 3333);

        var detection = Only(harness);
        Assert.Equal("203.0.113.7", detection.MinerAddress.ToString());
        Assert.Null(detection.Host);
    }

    [Fact]
    public void Malformed_dhcp_is_counted_and_never_thrown()
    {
        var harness = Harness("10.0.0.0/8");
        var truncated = V4(Ack, 1, MinerMac, yiaddr: MinerIp, options: [LeaseTime(60)])[..100];
        var pastEnd = V4(Ack, 1, MinerMac, yiaddr: MinerIp, options: [LeaseTime(60), HostName("lab-pc-17")], end: false);
        pastEnd[^10] = 250;
        var badOverload = V4(Ack, 1, MinerMac, yiaddr: MinerIp, options: [Option(52, 9)]);
        foreach (var datagram in new[] { truncated, pastEnd, badOverload, [] })
        {
            harness.Frame(FrameBuilder.Udp(67, 68, datagram).Ipv4(DhcpServerIp, MinerIp).Ethernet(RouterMac, MinerMac).Build());
        }
        harness.Frame(FrameBuilder.Udp(547, 546, Relay(V6RelayReply, []).AsSpan(0, 34)).Ipv6("fe80::1", "fe80::2").Ethernet().Build());
        harness.Finish();

        // The empty datagram carries no payload: nothing to parse, nothing counted.
        Assert.Equal((0L, 4L), (harness.Engine.InspectionCounters.DhcpMessages, harness.Engine.InspectionCounters.DhcpMalformed));
        Assert.Equal(0, harness.Engine.Dhcp.Count);
        Assert.Empty(harness.Detections);
    }
}
