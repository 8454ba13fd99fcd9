using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>Bad input: cut frames, lying length fields and garbage must yield a status, never an exception or an out-of-frame payload.</summary>
public class PacketDecoderRobustnessTests
{
    private static readonly byte[] Payload = "mining.submit"u8.ToArray();

    public static TheoryData<string, LinkType, byte[]> ValidFrames() => new()
    {
        { "ethernet ipv4 tcp", LinkType.Ethernet, FrameBuilder.Tcp(1, 2, Payload, optionBytes: 12).Ipv4("10.0.0.1", "10.0.0.2", optionBytes: 8).Ethernet().Build() },
        { "qinq ipv4 udp", LinkType.Ethernet, FrameBuilder.Udp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Vlan(5).Vlan(6, 0x88A8).Ethernet().Build() },
        { "ethernet ipv6 ext tcp", LinkType.Ethernet, FrameBuilder.Tcp(1, 2, Payload).Ipv6Extension(60).Ipv6Extension(0).Ipv6("::1", "::2").Ethernet().Build() },
        { "ipv6 ah udp", LinkType.Ipv6, FrameBuilder.Udp(1, 2, Payload).Ipv6Extension(51, bodyLength: 22).Ipv6("::1", "::2").Build() },
        { "sll ipv4 tcp", LinkType.LinuxSll, FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").LinuxSll().Build() },
        { "sll2 ipv6 udp", LinkType.LinuxSll2, FrameBuilder.Udp(1, 2, Payload).Ipv6("::1", "::2").LinuxSll2().Build() },
        { "null ipv6 tcp", LinkType.Null, FrameBuilder.Tcp(1, 2, Payload).Ipv6("::1", "::2").Null(30).Build() },
        { "loop ipv4 udp", LinkType.Loop, FrameBuilder.Udp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Loop(2).Build() },
        { "raw ipv4 tcp", LinkType.Raw, FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Build() },
        { "ppp ipv4 tcp", LinkType.Ppp, FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Ppp().Build() },
        { "ppp bare ipv6 udp", LinkType.Ppp, FrameBuilder.Udp(1, 2, Payload).Ipv6("::1", "::2").Ppp(addressAndControl: false).Build() },
        { "ppp compressed ipv4 udp", LinkType.Ppp, FrameBuilder.Udp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Ppp(compressProtocol: true).Build() },
        { "ppp hdlc ipv6 tcp", LinkType.PppHdlc, FrameBuilder.Tcp(1, 2, Payload).Ipv6("::1", "::2").Ppp().Build() },
        { "cisco hdlc ipv4 tcp", LinkType.CiscoHdlc, FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").CiscoHdlc().Build() },
        { "cisco hdlc ipv6 udp", LinkType.CiscoHdlc, FrameBuilder.Udp(1, 2, Payload).Ipv6("::1", "::2").CiscoHdlc(0x8F).Build() },
        { "cisco hdlc in ppp ipv4 udp", LinkType.Ppp, FrameBuilder.Udp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").CiscoHdlc().Build() },
    };

    /// <summary>Non-IP frames with the length of their link header (through the protocol field).</summary>
    public static TheoryData<string, LinkType, byte[], int> NonIpFrames() => new()
    {
        { "ppp lcp", LinkType.Ppp, FrameBuilder.LcpEchoRequest().Ppp().Build(), 4 },
        { "ppp bare lcp", LinkType.Ppp, FrameBuilder.LcpEchoRequest().Ppp(addressAndControl: false).Build(), 2 },
        { "ppp hdlc lcp", LinkType.PppHdlc, FrameBuilder.LcpEchoRequest().Ppp().Build(), 4 },
        { "cisco hdlc slarp", LinkType.CiscoHdlc, FrameBuilder.Slarp().CiscoHdlc(0x8F).Build(), 4 },
        { "cisco hdlc slarp in ppp", LinkType.Ppp, FrameBuilder.Slarp().CiscoHdlc(0x8F).Build(), 4 },
    };

    /// <summary>A frame cut before its link header is complete is truncated; after it, the protocol already says "not IP".</summary>
    [Theory]
    [MemberData(nameof(NonIpFrames))]
    public void Every_truncation_of_a_non_ip_frame_is_safe(string name, LinkType linkType, byte[] frame, int headerLength)
    {
        for (var length = 0; length <= frame.Length; length++)
        {
            var cut = frame.AsSpan(0, length);
            var status = PacketDecoder.Decode(linkType, cut, out _);
            var expected = length < headerLength ? DecodeStatus.Truncated : DecodeStatus.NotIp;
            Assert.True(status == expected, $"{name} cut to {length}: {status}, expected {expected}");
            Assert.NotEqual(DecodeStatus.Ok, ReferenceDecoder.Decode(linkType, cut, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void Every_truncation_of_a_valid_frame_is_safe(string name, LinkType linkType, byte[] frame)
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(linkType, frame, out var whole));
        var payloadStart = whole.PayloadOffset;
        for (var length = 0; length <= frame.Length; length++)
        {
            var cut = frame.AsSpan(0, length);
            var status = PacketDecoder.Decode(linkType, cut, out var packet);
            AssertPayloadInsideFrame(status, packet, length);
            if (length < payloadStart)
            {
                Assert.True(status == DecodeStatus.Truncated, $"{name} cut to {length}: {status}");
            }
            else
            {
                // Cut inside the payload: still decoded, flagged, and clipped to what was captured.
                Assert.Equal(DecodeStatus.Ok, status);
                Assert.Equal(length < frame.Length, packet.PayloadTruncated);
                Assert.Equal(length - payloadStart, packet.PayloadLength);
            }
            // The decoder of record must not throw either.
            ReferenceDecoder.Decode(linkType, cut, out _);
        }
    }

    [Theory]
    [InlineData(0x40)] // IHL 0
    [InlineData(0x44)] // IHL 4
    public void Ipv4_header_length_below_five_words_is_malformed(byte versionAndIhl)
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Poke(0, versionAndIhl).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Ipv4_header_length_fifteen_words_beyond_the_frame_is_truncated()
    {
        // 60 bytes of header claimed, 20 + 20 + payload present: the TCP header would be read as options.
        var frame = FrameBuilder.Udp(1, 2, []).Ipv4("10.0.0.1", "10.0.0.2").Poke(0, 0x4F).Build();
        Assert.Equal(DecodeStatus.Truncated, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Ipv4_total_length_65535_on_a_short_frame_clips_and_flags_truncation()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").PokeUInt16(2, 65535).Build();
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Raw, frame, out var packet));
        Assert.True(packet.PayloadTruncated);
        Assert.Equal(Payload.Length, packet.PayloadLength);
    }

    [Fact]
    public void Ipv4_total_length_shorter_than_header_is_malformed()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").PokeUInt16(2, 19).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Ipv4_total_length_zero_is_read_as_segmentation_offload()
    {
        // Windows writes 0 into the length of segments it hands to the NIC for splitting (seen in the corpus).
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").PokeUInt16(2, 0).Ethernet().Build();
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(Payload.Length, packet.PayloadLength);
        Assert.False(packet.PayloadTruncated);
    }

    [Fact]
    public void Ipv4_total_length_cutting_into_the_tcp_header_is_malformed()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").PokeUInt16(2, 20 + 10).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Tcp_data_offset_below_five_is_malformed(int dataOffset)
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Poke(20 + 12, (byte)(dataOffset << 4)).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Tcp_data_offset_fifteen_beyond_the_ip_packet_is_malformed()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Poke(20 + 12, 0xF0).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Tcp_data_offset_fifteen_within_the_ip_packet_but_beyond_the_capture_is_truncated()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").Poke(20 + 12, 0xF0).PokeUInt16(2, 1500).Build();
        Assert.Equal(DecodeStatus.Truncated, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Udp_length_below_eight_is_malformed(int udpLength)
    {
        var frame = FrameBuilder.Udp(1, 2, Payload).Ipv4("10.0.0.1", "10.0.0.2").PokeUInt16(20 + 4, (ushort)udpLength).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Raw, frame, out _));
    }

    [Fact]
    public void Ipv6_payload_length_zero_is_malformed()
    {
        // Zero announces a jumbogram (RFC 2675), which no capture here carries.
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv6Extension(0).Ipv6("::1", "::2").PokeUInt16(4, 0).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Ipv6, frame, out _));
    }

    [Fact]
    public void Ipv6_extension_header_longer_than_the_packet_is_malformed()
    {
        var frame = FrameBuilder.Tcp(1, 2, Payload).Ipv6Extension(60).Ipv6("::1", "::2").Poke(40 + 1, 255).Build();
        Assert.Equal(DecodeStatus.Malformed, PacketDecoder.Decode(LinkType.Ipv6, frame, out _));
    }

    [Fact]
    public void Ipv6_payload_length_65535_on_a_short_frame_clips_and_flags_truncation()
    {
        var frame = FrameBuilder.Udp(1, 2, Payload).Ipv6("::1", "::2").PokeUInt16(4, 65535).PokeUInt16(40 + 4, 65535).Build();
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Ipv6, frame, out var packet));
        Assert.True(packet.PayloadTruncated);
        Assert.Equal(Payload.Length, packet.PayloadLength);
    }

    [Theory]
    [InlineData(LinkType.Ethernet)]
    [InlineData(LinkType.LinuxSll)]
    [InlineData(LinkType.LinuxSll2)]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.Ipv4)]
    [InlineData(LinkType.Ipv6)]
    [InlineData(LinkType.Null)]
    [InlineData(LinkType.Loop)]
    [InlineData(LinkType.Ppp)]
    [InlineData(LinkType.PppHdlc)]
    [InlineData(LinkType.CiscoHdlc)]
    public void Empty_frame_is_truncated(LinkType linkType)
    {
        Assert.Equal(DecodeStatus.Truncated, PacketDecoder.Decode(linkType, [], out _));
        Assert.NotEqual(DecodeStatus.Ok, ReferenceDecoder.Decode(linkType, [], out _));
    }

    [Fact]
    public void Vlan_tags_filling_the_whole_frame_are_truncated()
    {
        var frame = new byte[14 + 4 * 100];
        for (var i = 12; i < frame.Length; i += 4)
        {
            frame[i] = 0x81;
        }
        Assert.Equal(DecodeStatus.Truncated, PacketDecoder.Decode(LinkType.Ethernet, frame, out _));
    }

    [Theory]
    [InlineData(LinkType.Ethernet)]
    [InlineData(LinkType.LinuxSll)]
    [InlineData(LinkType.LinuxSll2)]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.Null)]
    [InlineData(LinkType.Loop)]
    [InlineData(LinkType.Ppp)]
    [InlineData(LinkType.PppHdlc)]
    [InlineData(LinkType.CiscoHdlc)]
    public void Random_garbage_never_throws(LinkType linkType)
    {
        var random = new Random(20240917 + (int)linkType);
        var ok = 0;
        for (var i = 0; i < 5000; i++)
        {
            var frame = new byte[random.Next(0, 200)];
            random.NextBytes(frame);
            // Steer a share of frames past the link layer, so IP and transport parsing get garbage too.
            if (i % 2 == 0)
            {
                SteerToIp(linkType, frame, random);
            }
            var status = PacketDecoder.Decode(linkType, frame, out var packet);
            AssertPayloadInsideFrame(status, packet, frame.Length);
            ok += status == DecodeStatus.Ok ? 1 : 0;
            ReferenceDecoder.Decode(linkType, frame, out _);
        }
        // Steering must let some frames decode, or the garbage never reached TCP/UDP parsing.
        Assert.True(ok > 0, "no garbage frame reached TCP/UDP");
    }

    private static void SteerToIp(LinkType linkType, byte[] frame, Random random)
    {
        var v6 = random.Next(2) == 0;
        var (typeOffset, ipOffset) = linkType switch
        {
            LinkType.Ethernet => (12, 14),
            LinkType.LinuxSll => (14, 16),
            LinkType.LinuxSll2 => (0, 20),
            LinkType.Null or LinkType.Loop => (-1, 4),
            LinkType.CiscoHdlc => (2, 4),
            LinkType.Ppp or LinkType.PppHdlc => (-1, 4),
            _ => (-1, 0),
        };
        if (frame.Length < ipOffset + 40)
        {
            return;
        }
        if (typeOffset >= 0)
        {
            frame[typeOffset] = (byte)(v6 ? 0x86 : 0x08);
            frame[typeOffset + 1] = (byte)(v6 ? 0xDD : 0x00);
        }
        else if (linkType is LinkType.Ppp or LinkType.PppHdlc)
        {
            frame[0] = 0xFF;
            frame[1] = 0x03;
            frame[2] = 0x00;
            frame[3] = (byte)(v6 ? 0x57 : 0x21);
        }
        else if (ipOffset == 4)
        {
            Array.Clear(frame, 0, 4);
            frame[3] = (byte)(v6 ? 24 : 2);
        }
        var ip = frame.AsSpan(ipOffset);
        var transport = random.Next(2) == 0 ? (byte)6 : (byte)17;
        if (v6)
        {
            ip[0] = 0x60;
            ip[6] = transport;
        }
        else
        {
            ip[0] = 0x45;
            ip[6] = 0;
            ip[7] = 0;
            ip[9] = transport;
        }
    }

    private static void AssertPayloadInsideFrame(DecodeStatus status, DecodedPacket packet, int frameLength)
    {
        if (status != DecodeStatus.Ok)
        {
            return;
        }
        Assert.InRange(packet.PayloadOffset, 0, frameLength);
        Assert.InRange(packet.PayloadLength, 0, frameLength - packet.PayloadOffset);
    }
}
