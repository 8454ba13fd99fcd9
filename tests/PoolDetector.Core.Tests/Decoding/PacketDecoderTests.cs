using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Tests.Decoding;

public class PacketDecoderTests
{
    private static readonly byte[] Payload = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n"u8.ToArray();
    private static readonly IpAddress Client4 = IpAddress.Parse("10.1.2.3");
    private static readonly IpAddress Pool4 = IpAddress.Parse("94.23.199.191");
    private static readonly IpAddress Client6 = IpAddress.Parse("2001:db8::1");
    private static readonly IpAddress Pool6 = IpAddress.Parse("2001:db8:ffff::2");

    private static FrameBuilder StratumTcp() =>
        FrameBuilder.Tcp(51234, 3333, Payload, sequence: 0xDEADBEEF, acknowledgment: 0x01020304, flags: 0x18);

    /// <summary>
    /// Decodes with the fast path and expects TCP/UDP; unless <paramref name="referenceDecodes"/> is false
    /// (a PacketDotNet limitation, asserted in <see cref="PacketDotNetLimitationTests"/>), the reference must agree.
    /// </summary>
    private static DecodedPacket DecodeOk(LinkType linkType, byte[] frame, bool referenceDecodes = true)
    {
        var status = PacketDecoder.Decode(linkType, frame, out var packet);
        Assert.Equal(DecodeStatus.Ok, status);
        if (!referenceDecodes)
        {
            return packet;
        }
        var reference = ReferenceDecoder.Decode(linkType, frame, out var referencePacket);
        Assert.Equal(DecodeStatus.Ok, reference);
        Assert.Equal(referencePacket, packet);
        return packet;
    }

    private static void AssertStratumV4(DecodedPacket packet, byte[] frame, int payloadOffset)
    {
        Assert.Equal(Client4, packet.Source);
        Assert.Equal(Pool4, packet.Destination);
        AssertStratumTcp(packet, frame, payloadOffset);
    }

    private static void AssertStratumTcp(DecodedPacket packet, byte[] frame, int payloadOffset)
    {
        Assert.Equal(TransportProtocol.Tcp, packet.Transport);
        Assert.Equal(51234, packet.SourcePort);
        Assert.Equal(3333, packet.DestinationPort);
        Assert.Equal(0xDEADBEEFu, packet.Sequence);
        Assert.Equal(0x01020304u, packet.Acknowledgment);
        Assert.Equal(TcpFlags.Psh | TcpFlags.Ack, packet.TcpFlags);
        Assert.Equal(payloadOffset, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
        Assert.False(packet.PayloadTruncated);
        Assert.Equal(Payload, frame.AsSpan(packet.PayloadOffset, packet.PayloadLength).ToArray());
    }

    /// <summary>The reference decoder must agree wherever PacketDotNet can decode the frame at all.</summary>
    private static void AssertReferenceAgrees(LinkType linkType, byte[] frame)
    {
        var fast = PacketDecoder.Decode(linkType, frame, out var fastPacket);
        var reference = ReferenceDecoder.Decode(linkType, frame, out var referencePacket);
        Assert.Equal(reference, fast);
        if (fast == DecodeStatus.Ok)
        {
            Assert.Equal(referencePacket, fastPacket);
        }
    }

    [Fact]
    public void Decodes_Ethernet_Ipv4_Tcp()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        AssertStratumV4(packet, frame, 14 + 20 + 20);
        Assert.Equal(0, packet.OuterVlan);
        Assert.Equal(0, packet.InnerVlan);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Decodes_Ethernet_Ipv6_Udp()
    {
        var frame = FrameBuilder.Udp(5353, 53, Payload).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(Client6, packet.Source);
        Assert.Equal(Pool6, packet.Destination);
        Assert.Equal(TransportProtocol.Udp, packet.Transport);
        Assert.Equal(5353, packet.SourcePort);
        Assert.Equal(53, packet.DestinationPort);
        Assert.Equal(14 + 40 + 8, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Theory]
    [InlineData((ushort)0x8100)]
    [InlineData((ushort)0x88A8)]
    [InlineData((ushort)0x9100)]
    public void Reads_single_vlan_tag_of_each_tag_protocol(ushort tagProtocol)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Vlan(123, tagProtocol, priority: 5).Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(123, packet.OuterVlan);
        Assert.Equal(0, packet.InnerVlan);
        AssertStratumV4(packet, frame, 14 + 4 + 20 + 20);
    }

    [Fact]
    public void Reference_agrees_on_8021Q_tag()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Vlan(4094).Ethernet().Build();
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Theory]
    [InlineData((ushort)0x88A8)]
    [InlineData((ushort)0x9100)]
    [InlineData((ushort)0x8100)]
    public void Reads_QinQ_outer_and_inner_vlan(ushort outerTagProtocol)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191")
            .Vlan(20).Vlan(300, outerTagProtocol).Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(300, packet.OuterVlan);
        Assert.Equal(20, packet.InnerVlan);
        AssertStratumV4(packet, frame, 14 + 8 + 20 + 20);
    }

    [Fact]
    public void Keeps_outer_two_of_three_vlan_tags()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191")
            .Vlan(3).Vlan(2).Vlan(1, 0x88A8).Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(1, packet.OuterVlan);
        Assert.Equal(2, packet.InnerVlan);
        AssertStratumV4(packet, frame, 14 + 12 + 20 + 20);
    }

    [Fact]
    public void Decodes_linux_cooked_v1()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").LinuxSll().Build();
        AssertStratumV4(DecodeOk(LinkType.LinuxSll, frame), frame, 16 + 20 + 20);
        AssertReferenceAgrees(LinkType.LinuxSll, frame);
    }

    [Fact]
    public void Decodes_linux_cooked_v2()
    {
        var frame = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").LinuxSll2().Build();
        var packet = DecodeOk(LinkType.LinuxSll2, frame);
        Assert.Equal(Client6, packet.Source);
        AssertStratumTcp(packet, frame, 20 + 40 + 20);
        AssertReferenceAgrees(LinkType.LinuxSll2, frame);
    }

    [Fact]
    public void Decodes_vlan_tag_inside_linux_cooked_capture()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Vlan(42).LinuxSll().Build();
        var packet = DecodeOk(LinkType.LinuxSll, frame);
        Assert.Equal(42, packet.OuterVlan);
        AssertStratumV4(packet, frame, 16 + 4 + 20 + 20);
    }

    [Fact]
    public void Decodes_pppoe_session()
    {
        var v4 = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").PppoeSession().Ethernet().Build();
        AssertStratumV4(DecodeOk(LinkType.Ethernet, v4), v4, 14 + 8 + 20 + 20);
        var v6 = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").PppoeSession().Vlan(7).Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, v6);
        Assert.Equal(7, packet.OuterVlan);
        AssertStratumTcp(packet, v6, 14 + 4 + 8 + 40 + 20);
    }

    [Fact]
    public void Pppoe_session_with_other_ppp_protocol_is_not_ip()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").PppoeSession().Ethernet().PokeUInt16(14 + 6, 0xC021).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Theory]
    [InlineData(LinkType.Ppp, true)]
    [InlineData(LinkType.Ppp, false)]
    [InlineData(LinkType.PppHdlc, true)]
    public void Decodes_ppp_ipv4(LinkType linkType, bool addressAndControl)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Ppp(addressAndControl).Build();
        AssertStratumV4(DecodeOk(linkType, frame), frame, (addressAndControl ? 4 : 2) + 20 + 20);
        AssertReferenceAgrees(linkType, frame);
    }

    [Theory]
    [InlineData(LinkType.Ppp, true)]
    [InlineData(LinkType.Ppp, false)]
    [InlineData(LinkType.PppHdlc, true)]
    public void Decodes_ppp_ipv6(LinkType linkType, bool addressAndControl)
    {
        var frame = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").Ppp(addressAndControl).Build();
        var packet = DecodeOk(linkType, frame);
        Assert.Equal(Client6, packet.Source);
        Assert.Equal(Pool6, packet.Destination);
        AssertStratumTcp(packet, frame, (addressAndControl ? 4 : 2) + 40 + 20);
        AssertReferenceAgrees(linkType, frame);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decodes_ppp_with_compressed_protocol_field(bool addressAndControl)
    {
        var v4 = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Ppp(addressAndControl, compressProtocol: true).Build();
        var headerLength = addressAndControl ? 3 : 1;
        AssertStratumV4(DecodeOk(LinkType.Ppp, v4, referenceDecodes: false), v4, headerLength + 20 + 20);
        var v6 = FrameBuilder.Udp(5353, 53, Payload).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ppp(addressAndControl, compressProtocol: true).Build();
        var packet = DecodeOk(LinkType.Ppp, v6, referenceDecodes: false);
        Assert.Equal(TransportProtocol.Udp, packet.Transport);
        Assert.Equal(headerLength + 40 + 8, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
    }

    [Theory]
    [InlineData(LinkType.Ppp, true)]
    [InlineData(LinkType.Ppp, false)]
    [InlineData(LinkType.PppHdlc, true)]
    public void Ppp_lcp_is_not_ip(LinkType linkType, bool addressAndControl)
    {
        var frame = FrameBuilder.LcpEchoRequest().Ppp(addressAndControl).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(linkType, frame, out _));
        Assert.Equal(DecodeStatus.NotIp, ReferenceDecoder.Decode(linkType, frame, out _));
    }

    [Fact]
    public void Ppp_address_without_control_byte_is_read_as_a_protocol_field()
    {
        // 0xFF not followed by 0x03 is no RFC 1662 header: an odd first byte is a compressed protocol, 0x00FF, not IP.
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Ppp().Poke(1, 0x00).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Ppp, frame, out _));
    }

    [Theory]
    [InlineData(LinkType.CiscoHdlc, (byte)0x0F)]
    [InlineData(LinkType.CiscoHdlc, (byte)0x8F)]
    [InlineData(LinkType.Ppp, (byte)0x0F)]
    [InlineData(LinkType.Ppp, (byte)0x8F)]
    [InlineData(LinkType.PppHdlc, (byte)0x0F)]
    public void Decodes_cisco_hdlc_ipv4(LinkType linkType, byte address)
    {
        // Routers write Cisco HDLC under the PPP link types too (BGP_Cisco_hdlc_slarp.pcap declares DLT_PPP).
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").CiscoHdlc(address).Build();
        AssertStratumV4(DecodeOk(linkType, frame), frame, 4 + 20 + 20);
        AssertReferenceAgrees(linkType, frame);
    }

    [Theory]
    [InlineData(LinkType.CiscoHdlc)]
    [InlineData(LinkType.Ppp)]
    public void Decodes_cisco_hdlc_ipv6(LinkType linkType)
    {
        var frame = FrameBuilder.Udp(5353, 53, Payload).Ipv6("2001:db8::1", "2001:db8:ffff::2").CiscoHdlc(0x8F).Build();
        var packet = DecodeOk(linkType, frame);
        Assert.Equal(Client6, packet.Source);
        Assert.Equal(TransportProtocol.Udp, packet.Transport);
        Assert.Equal(4 + 40 + 8, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
        AssertReferenceAgrees(linkType, frame);
    }

    [Theory]
    [InlineData(LinkType.CiscoHdlc)]
    [InlineData(LinkType.Ppp)]
    public void Cisco_hdlc_slarp_is_not_ip(LinkType linkType)
    {
        var frame = FrameBuilder.Slarp().CiscoHdlc(0x8F).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(linkType, frame, out _));
        Assert.Equal(DecodeStatus.NotIp, ReferenceDecoder.Decode(linkType, frame, out _));
    }

    [Fact]
    public void Cisco_hdlc_vlan_ethertype_is_not_followed()
    {
        // A serial link carries no 802.1Q tags; only IPv4 and IPv6 EtherTypes are IP.
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Vlan(5).CiscoHdlc().Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.CiscoHdlc, frame, out _));
        Assert.Equal(DecodeStatus.NotIp, ReferenceDecoder.Decode(LinkType.CiscoHdlc, frame, out _));
    }

    [Theory]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.Ipv4)]
    public void Decodes_raw_ipv4(LinkType linkType)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Build();
        AssertStratumV4(DecodeOk(linkType, frame), frame, 20 + 20);
        AssertReferenceAgrees(linkType, frame);
    }

    [Theory]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.Ipv6)]
    public void Decodes_raw_ipv6(LinkType linkType)
    {
        var frame = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").Build();
        var packet = DecodeOk(linkType, frame);
        Assert.Equal(Pool6, packet.Destination);
        AssertStratumTcp(packet, frame, 40 + 20);
        AssertReferenceAgrees(linkType, frame);
    }

    [Fact]
    public void Raw_with_unknown_ip_version_is_not_ip()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Poke(0, 0x55).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Ipv4_link_type_with_ipv6_inside_is_malformed()
    {
        // LINKTYPE_IPV4 is IPv4 only (libpcap); both decoders hold to that rather than follow the version nibble.
        var frame = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Ipv4, frame, out _));
        Assert.Equal(DecodeStatus.Malformed, ReferenceDecoder.Decode(LinkType.Ipv4, frame, out _));
    }

    [Fact]
    public void Ipv6_link_type_with_ipv4_inside_is_malformed()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Ipv6, frame, out _));
        Assert.Equal(DecodeStatus.Malformed, ReferenceDecoder.Decode(LinkType.Ipv6, frame, out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Decodes_null_loopback_ipv4_in_either_byte_order(bool bigEndian)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Null(2, bigEndian).Build();
        AssertStratumV4(DecodeOk(LinkType.Null, frame, referenceDecodes: !bigEndian), frame, 4 + 20 + 20);
    }

    [Theory]
    [InlineData(10u, false)]
    [InlineData(24u, false)]
    [InlineData(28u, false)]
    [InlineData(30u, false)]
    [InlineData(24u, true)]
    [InlineData(30u, true)]
    public void Decodes_null_loopback_ipv6_for_every_os_family_value(uint family, bool bigEndian)
    {
        var frame = StratumTcp().Ipv6("2001:db8::1", "2001:db8:ffff::2").Null(family, bigEndian).Build();
        var packet = DecodeOk(LinkType.Null, frame, referenceDecodes: !bigEndian && family != 10);
        Assert.Equal(Client6, packet.Source);
        AssertStratumTcp(packet, frame, 4 + 40 + 20);
    }

    [Fact]
    public void Null_loopback_with_unknown_family_is_not_ip()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Null(7).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Null, frame, out _));
    }

    [Theory]
    [InlineData(2u, 4 + 20 + 20)]
    [InlineData(24u, 4 + 40 + 20)]
    public void Decodes_openbsd_loop(uint family, int payloadOffset)
    {
        var tcp = StratumTcp();
        var frame = (family == 2 ? tcp.Ipv4("10.1.2.3", "94.23.199.191") : tcp.Ipv6("2001:db8::1", "2001:db8:ffff::2"))
            .Loop(family).Build();
        AssertStratumTcp(DecodeOk(LinkType.Loop, frame, referenceDecodes: false), frame, payloadOffset);
    }

    [Theory]
    [InlineData(0, LinkType.Null)]
    [InlineData(1, LinkType.Ethernet)]
    [InlineData(9, LinkType.Ppp)]
    [InlineData(12, LinkType.Raw)]
    [InlineData(14, LinkType.Raw)]
    [InlineData(50, LinkType.PppHdlc)]
    [InlineData(101, LinkType.Raw)]
    [InlineData(104, LinkType.CiscoHdlc)]
    [InlineData(108, LinkType.Loop)]
    [InlineData(113, LinkType.LinuxSll)]
    [InlineData(228, LinkType.Ipv4)]
    [InlineData(229, LinkType.Ipv6)]
    [InlineData(276, LinkType.LinuxSll2)]
    public void Maps_pcap_link_type_numbers(int value, LinkType expected)
    {
        Assert.True(LinkTypes.TryFromPcap(value, out var linkType));
        Assert.Equal(expected, linkType);
    }

    [Fact]
    public void Unknown_link_type_is_unsupported()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Build();
        // 105 is IEEE 802.11, which the decoders do not read.
        Assert.Equal(DecodeStatus.UnsupportedLinkType, PacketDecoder.Decode((LinkType)105, frame, out _));
        Assert.Equal(DecodeStatus.UnsupportedLinkType, ReferenceDecoder.Decode((LinkType)105, frame, out _));
        Assert.False(LinkTypes.TryFromPcap(105, out _));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(40)]
    public void Skips_ipv4_options(int optionBytes)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191", optionBytes: optionBytes).Ethernet().Build();
        AssertStratumV4(DecodeOk(LinkType.Ethernet, frame), frame, 14 + 20 + optionBytes + 20);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Skips_tcp_options()
    {
        var frame = FrameBuilder.Tcp(51234, 3333, Payload, optionBytes: 12).Ipv4("10.1.2.3", "94.23.199.191").Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(14 + 20 + 32, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Theory]
    [InlineData((byte)0, 8)]     // hop-by-hop
    [InlineData((byte)43, 24)]   // routing
    [InlineData((byte)60, 16)]   // destination options
    [InlineData((byte)51, 24)]   // authentication header, 4-byte units
    [InlineData((byte)135, 16)]  // mobility
    [InlineData((byte)44, 8)]    // atomic fragment: offset 0, M=0
    public void Walks_each_ipv6_extension_header(byte type, int length)
    {
        var frame = StratumTcp().Ipv6Extension(type, bodyLength: length - 2).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame, referenceDecodes: type != 51);
        AssertStratumTcp(packet, frame, 14 + 40 + length + 20);
    }

    [Theory]
    [InlineData((byte)0)]
    [InlineData((byte)43)]
    [InlineData((byte)60)]
    [InlineData((byte)44)]
    public void Reference_agrees_on_ipv6_extension_headers(byte type)
    {
        var frame = StratumTcp().Ipv6Extension(type).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Walks_a_chain_of_ipv6_extension_headers()
    {
        var frame = FrameBuilder.Udp(1000, 2000, Payload)
            .Ipv6Extension(60, bodyLength: 14)
            .Ipv6Extension(44)
            .Ipv6Extension(43, bodyLength: 22)
            .Ipv6Extension(0)
            .Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        var packet = DecodeOk(LinkType.Ethernet, frame, referenceDecodes: false);
        Assert.Equal(TransportProtocol.Udp, packet.Transport);
        Assert.Equal(14 + 40 + 16 + 8 + 24 + 8 + 8, packet.PayloadOffset);
        Assert.Equal(Payload.Length, packet.PayloadLength);
    }

    [Theory]
    [InlineData((byte)50)] // ESP: the rest is encrypted
    [InlineData((byte)59)] // No Next Header
    [InlineData(FrameBuilder.ProtocolIcmpV6)]
    [InlineData((byte)4)]  // IPv4-in-IPv6 tunnel: out of scope
    [InlineData((byte)47)] // GRE: out of scope
    public void Ipv6_next_headers_without_tcp_or_udp(byte nextHeader)
    {
        var frame = FrameBuilder.IpPayload(nextHeader, new byte[24]).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        Assert.Equal(DecodeStatus.NotTcpOrUdp, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Fact]
    public void Esp_after_an_extension_header_is_not_tcp_or_udp()
    {
        var frame = FrameBuilder.IpPayload(50, new byte[24]).Ipv6Extension(60).Ipv6("2001:db8::1", "2001:db8:ffff::2").Build();
        Assert.Equal(DecodeStatus.NotTcpOrUdp, PacketDecoder.Decode(LinkType.Ipv6, frame, out _));
    }

    [Theory]
    [InlineData((ushort)0x0001)] // first fragment: offset 0, M=1
    [InlineData((ushort)0x00B8)] // last fragment: offset 23*8, M=0
    [InlineData((ushort)0x00B9)] // middle fragment
    public void Ipv6_fragments_are_reported(ushort fragmentField)
    {
        var frame = StratumTcp().Ipv6Extension(44, fragmentField: fragmentField).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Build();
        Assert.Equal(DecodeStatus.Fragment, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Theory]
    [InlineData((ushort)0x2000)] // first fragment: MF
    [InlineData((ushort)0x0010)] // last fragment: offset only
    [InlineData((ushort)0x2010)] // middle
    public void Ipv4_fragments_are_reported(ushort fragmentField)
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191", fragment: fragmentField).Ethernet().Build();
        Assert.Equal(DecodeStatus.Fragment, PacketDecoder.Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(Client4, packet.Source);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Dont_fragment_flag_is_not_a_fragment()
    {
        var frame = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191", fragment: 0x4000).Ethernet().Build();
        AssertStratumV4(DecodeOk(LinkType.Ethernet, frame), frame, 14 + 20 + 20);
    }

    [Fact]
    public void Ethernet_padding_is_not_payload()
    {
        // A bare ACK is 54 bytes; Ethernet pads it to 60 and the padding must not reach the stream.
        var frame = FrameBuilder.Tcp(51234, 3333, [], flags: 0x10).Ipv4("10.1.2.3", "94.23.199.191").Ethernet().Pad(6).Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(54, packet.PayloadOffset);
        Assert.Equal(0, packet.PayloadLength);
        Assert.False(packet.PayloadTruncated);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Ethernet_padding_is_not_udp_payload_either()
    {
        var frame = FrameBuilder.Udp(1000, 2000, "ab"u8).Ipv6("2001:db8::1", "2001:db8:ffff::2").Ethernet().Pad(9).Build();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.Equal(2, packet.PayloadLength);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Wrong_checksums_are_still_decoded()
    {
        // The builder leaves TCP/UDP checksums wrong; here the IPv4 header checksum is wrong as well.
        var tcp = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191", wrongChecksum: true).Ethernet().Build();
        AssertStratumV4(DecodeOk(LinkType.Ethernet, tcp), tcp, 54);
        var udp = FrameBuilder.Udp(1000, 2000, Payload).Ipv4("10.1.2.3", "94.23.199.191", wrongChecksum: true).Ethernet().Build();
        Assert.Equal(Payload.Length, DecodeOk(LinkType.Ethernet, udp).PayloadLength);
        AssertReferenceAgrees(LinkType.Ethernet, tcp);
        AssertReferenceAgrees(LinkType.Ethernet, udp);
    }

    [Fact]
    public void Snaplen_cut_sets_payload_truncated_and_clips_to_captured_bytes()
    {
        var full = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Ethernet().Build();
        var frame = full.AsSpan(0, 54 + 10).ToArray();
        var packet = DecodeOk(LinkType.Ethernet, frame);
        Assert.True(packet.PayloadTruncated);
        Assert.Equal(54, packet.PayloadOffset);
        Assert.Equal(10, packet.PayloadLength);
        AssertReferenceAgrees(LinkType.Ethernet, frame);
    }

    [Fact]
    public void Reads_all_tcp_flags()
    {
        var frame = FrameBuilder.Tcp(1, 2, [], flags: 0xFF).Ipv4("10.1.2.3", "94.23.199.191").Build();
        var packet = DecodeOk(LinkType.Raw, frame);
        // ECE and CWR have no TcpFlags member and are dropped.
        Assert.Equal(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg, packet.TcpFlags);
        var syn = DecodeOk(LinkType.Raw, FrameBuilder.Tcp(1, 2, [], flags: 0x02).Ipv4("10.1.2.3", "94.23.199.191").Build());
        Assert.Equal(TcpFlags.Syn, syn.TcpFlags);
    }

    [Fact]
    public void Arp_is_not_ip()
    {
        var frame = FrameBuilder.Arp().Ethernet().Pad(18).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
        Assert.Equal(DecodeStatus.NotIp, ReferenceDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Fact]
    public void Ieee8023_length_field_is_not_ip()
    {
        var frame = FrameBuilder.Arp().Ethernet().PokeUInt16(12, 46).Pad(18).Build();
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Fact]
    public void Icmp_is_not_tcp_or_udp()
    {
        var frame = FrameBuilder.IcmpEcho().Ipv4("10.1.2.3", "94.23.199.191").Ethernet().Build();
        Assert.Equal(DecodeStatus.NotTcpOrUdp, PacketDecoder.Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(Pool4, packet.Destination);
        Assert.Equal(DecodeStatus.NotTcpOrUdp, ReferenceDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Fact]
    public void Ip_in_ip_tunnel_is_not_tcp_or_udp()
    {
        var inner = StratumTcp().Ipv4("10.1.2.3", "94.23.199.191").Build();
        var frame = FrameBuilder.IpPayload(4, inner).Ipv4("192.0.2.1", "192.0.2.2").Ethernet().Build();
        Assert.Equal(DecodeStatus.NotTcpOrUdp, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Fact]
    public void Udp_length_shorter_than_ip_payload_clips_the_payload()
    {
        var frame = FrameBuilder.Udp(1000, 2000, Payload).Ipv4("10.1.2.3", "94.23.199.191").PokeUInt16(20 + 4, 8 + 5).Build();
        var packet = DecodeOk(LinkType.Raw, frame);
        Assert.Equal(5, packet.PayloadLength);
        Assert.False(packet.PayloadTruncated);
    }

    [Fact]
    public void Udp_length_longer_than_ip_payload_is_clipped_to_the_ip_packet()
    {
        var frame = FrameBuilder.Udp(1000, 2000, Payload).Ipv4("10.1.2.3", "94.23.199.191").PokeUInt16(20 + 4, 60000).Build();
        var packet = DecodeOk(LinkType.Raw, frame);
        Assert.Equal(Payload.Length, packet.PayloadLength);
        Assert.False(packet.PayloadTruncated);
    }
}
