using PacketDotNet;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>
/// Frames the fast path decodes and PacketDotNet 1.4.8 (the decoder of record) does not. Each is
/// asserted, so a PacketDotNet upgrade that fixes one fails here and the note can go. None occurs
/// in the corpus captures (the differential test would have reported it).
/// </summary>
public class PacketDotNetLimitationTests
{
    private static FrameBuilder Tcp() => FrameBuilder.Tcp(51234, 3333, "hello"u8);

    private static void AssertOnlyFastPathDecodes(LinkType linkType, byte[] frame)
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(linkType, frame, out _));
        Assert.NotEqual(DecodeStatus.Ok, ReferenceDecoder.Decode(linkType, frame, out _));
    }

    [Fact]
    public void Null_loopback_in_big_endian_byte_order()
    {
        // NullPacket reads the family little-endian only: captures from big-endian hosts
        // (SPARC, PowerPC, MIPS routers) are not recognised.
        AssertOnlyFastPathDecodes(LinkType.Null, Tcp().Ipv4("10.0.0.1", "10.0.0.2").Null(2, bigEndian: true).Build());
    }

    [Fact]
    public void Null_loopback_with_linux_af_inet6()
    {
        // NullPacket knows the BSD AF_INET6 values (24, 28, 30) but not Linux's 10.
        AssertOnlyFastPathDecodes(LinkType.Null, Tcp().Ipv6("::1", "::1").Null(10).Build());
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(24u)]
    public void OpenBsd_loop(uint family)
    {
        // LinkLayers.Loop (108) has no parser.
        var ip = family == 2 ? Tcp().Ipv4("10.0.0.1", "10.0.0.2") : Tcp().Ipv6("::1", "::1");
        AssertOnlyFastPathDecodes(LinkType.Loop, ip.Loop(family).Build());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ppp_protocol_field_compression(bool addressAndControl)
    {
        // PppPacket always reads a 2-byte protocol field: a compressed one (RFC 1661 section 6.5) is misread.
        AssertOnlyFastPathDecodes(LinkType.Ppp, Tcp().Ipv4("10.0.0.1", "10.0.0.2").Ppp(addressAndControl, compressProtocol: true).Build());
    }

    // The three below are worked around in ReferenceDecoder (it steps over the framing and hands PacketDotNet
    // the PPP or IP layer), so they are asserted on PacketDotNet itself.

    [Fact]
    public void Ppp_address_and_control_bytes_are_read_as_the_protocol()
    {
        var frame = Tcp().Ipv4("10.0.0.1", "10.0.0.2").Ppp().Build();
        var ppp = Assert.IsType<PppPacket>(Packet.ParsePacket(LinkLayers.Ppp, frame));
        Assert.Equal(0xFF03, (int)ppp.Protocol);
        Assert.Null(ppp.PayloadPacket);
    }

    [Fact]
    public void Ppp_in_hdlc_framing_has_no_parser()
    {
        var frame = Tcp().Ipv4("10.0.0.1", "10.0.0.2").Ppp().Build();
        Assert.Throws<NotImplementedException>(() => Packet.ParsePacket(LinkLayers.PppHdlc, frame));
    }

    [Fact]
    public void Cisco_hdlc_has_no_parser()
    {
        var frame = Tcp().Ipv4("10.0.0.1", "10.0.0.2").CiscoHdlc().Build();
        Assert.Throws<NotImplementedException>(() => Packet.ParsePacket(LinkLayers.CiscoHdlc, frame));
    }

    [Fact]
    public void Ipv6_authentication_header()
    {
        // AH measures its length in 4-byte units minus 2 (RFC 4302); PacketDotNet does not decode past it.
        AssertOnlyFastPathDecodes(LinkType.Ipv6, Tcp().Ipv6Extension(51, bodyLength: 22).Ipv6("2001:db8::1", "2001:db8::2").Build());
    }

    [Fact]
    public void Chain_of_several_ipv6_extension_headers()
    {
        // With several extension headers PacketDotNet's IPv6ExtensionHeader objects all point at the
        // same bytes, the walk ends in the wrong place and no transport is found.
        var frame = Tcp()
            .Ipv6Extension(60, bodyLength: 14)
            .Ipv6Extension(44)
            .Ipv6Extension(43, bodyLength: 22)
            .Ipv6Extension(0)
            .Ipv6("2001:db8::1", "2001:db8::2").Build();
        AssertOnlyFastPathDecodes(LinkType.Ipv6, frame);
    }
}
