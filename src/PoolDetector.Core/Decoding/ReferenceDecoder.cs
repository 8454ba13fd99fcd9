using System.Buffers.Binary;
using PacketDotNet;
using PacketDotNet.Utils;

namespace PoolDetector.Core.Decoding;

/// <summary>
/// The decoder of record: the same contract as <see cref="PacketDecoder.Decode"/>, implemented
/// with PacketDotNet. It allocates (a copy of the frame and an object per layer) and exists so the
/// fast path can be checked against it packet by packet; the engine does not call it.
/// </summary>
/// <remarks>
/// PacketDotNet finds the layers; the rules that turn them into a <see cref="DecodeStatus"/>
/// (fragments, tunnels, length clipping) are applied here on PacketDotNet's own field values,
/// so the two decoders share semantics but not parsing code. Known limits of PacketDotNet 1.4.8
/// are listed where they bite, and asserted in the tests. The exception is the framing PacketDotNet
/// cannot read at all (Cisco HDLC, PPP's address and control bytes): those few bytes are stepped over
/// here and PacketDotNet takes over at the PPP or IP layer, so for those link types the comparison
/// covers IP and transport, not the link header.
/// </remarks>
public static class ReferenceDecoder
{
    private const int Ipv4MoreFragmentsFlag = 0x1;
    private const int FragmentHeaderMoreFragmentsFlag = 0x1;
    private const int MinimumIpv4HeaderWords = 5;
    private const int MinimumTcpHeaderWords = 5;
    private const ushort ClassicTcpFlags = 0x3F;
    private const byte PppAddress = 0xFF;
    private const byte PppControl = 0x03;
    private const byte CiscoHdlcUnicast = 0x0F;
    private const byte CiscoHdlcBroadcast = 0x8F;

    public static DecodeStatus Decode(LinkType linkType, ReadOnlySpan<byte> frame, out DecodedPacket packet)
    {
        packet = default;
        if (!Enum.IsDefined(linkType))
        {
            return DecodeStatus.UnsupportedLinkType;
        }
        var bytes = frame.ToArray();
        try
        {
            return linkType switch
            {
                LinkType.CiscoHdlc => DecodeCiscoHdlc(bytes, ref packet),
                LinkType.Ppp or LinkType.PppHdlc when bytes.Length > 0 && bytes[0] is CiscoHdlcUnicast or CiscoHdlcBroadcast
                    => DecodeCiscoHdlc(bytes, ref packet),
                _ => FromPacketDotNet(Parse(linkType, bytes), bytes.Length, ref packet),
            };
        }
        catch (Exception)
        {
            // PacketDotNet throws on short or inconsistent frames (index out of range and the like);
            // like the fast path, this decoder reports instead of throwing.
            packet = default;
            return DecodeStatus.Malformed;
        }
    }

    /// <summary>LinkLayers is numbered by the pcap registry, as LinkType is; the exceptions are parsed by hand here.</summary>
    private static Packet Parse(LinkType linkType, byte[] bytes) => linkType switch
    {
        // PacketDotNet 1.4.8 throws NotImplementedException for LinkLayers.IPv4/IPv6 (228/229). Each is raw IP
        // of one version only, so the packet class of that version reads it, and a packet of the other
        // version fails the version check below, as on the fast path (its Raw parser would follow the nibble).
        LinkType.Ipv4 => new IPv4Packet(new ByteArraySegment(bytes)),
        LinkType.Ipv6 => new IPv6Packet(new ByteArraySegment(bytes)),
        // PppPacket reads the protocol field at offset 0: it does not skip the RFC 1662 address and control
        // bytes, and LinkLayers.PppHdlc (50) throws NotImplementedException.
        LinkType.Ppp or LinkType.PppHdlc => new PppPacket(SkipPppAddressAndControl(bytes)),
        _ => Packet.ParsePacket((LinkLayers)(int)linkType, bytes),
    };

    private static ByteArraySegment SkipPppAddressAndControl(byte[] bytes)
    {
        var offset = bytes.Length >= 2 && bytes[0] == PppAddress && bytes[1] == PppControl ? 2 : 0;
        return new ByteArraySegment(bytes, offset, bytes.Length - offset);
    }

    /// <summary>
    /// PacketDotNet 1.4.8 has no Cisco HDLC parser (LinkLayers.CiscoHdlc throws NotImplementedException):
    /// the 4-byte header is stepped over here and the IP packet handed to PacketDotNet.
    /// </summary>
    private static DecodeStatus DecodeCiscoHdlc(byte[] bytes, ref DecodedPacket packet)
    {
        if (bytes.Length < PacketDecoder.CiscoHdlcHeaderLength)
        {
            // Reported like the short frames PacketDotNet throws on.
            return DecodeStatus.Malformed;
        }
        var segment = new ByteArraySegment(bytes, PacketDecoder.CiscoHdlcHeaderLength, bytes.Length - PacketDecoder.CiscoHdlcHeaderLength);
        Packet? ip = (EthernetType)BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(PacketDecoder.CiscoHdlcProtocolOffset)) switch
        {
            EthernetType.IPv4 => new IPv4Packet(segment),
            EthernetType.IPv6 => new IPv6Packet(segment),
            _ => null,
        };
        return FromPacketDotNet(ip, bytes.Length, ref packet);
    }

    private static DecodeStatus FromPacketDotNet(Packet? layer, int captured, ref DecodedPacket packet)
    {
        var tags = 0;
        while (layer is not null and not IPPacket)
        {
            switch (layer)
            {
                case EthernetPacket ethernet:
                    packet.SourceMac = Mac(ethernet.SourceHardwareAddress.GetAddressBytes());
                    packet.DestinationMac = Mac(ethernet.DestinationHardwareAddress.GetAddressBytes());
                    break;
                case LinuxSllPacket cooked:
                    packet.SourceMac = CookedMac((int)cooked.LinkLayerAddressType, cooked.LinkLayerAddressLength, cooked.LinkLayerAddress);
                    break;
                case LinuxSll2Packet cooked2:
                    packet.SourceMac = CookedMac((int)cooked2.LinkLayerAddressType, cooked2.LinkLayerAddressLength, cooked2.LinkLayerAddress);
                    break;
            }
            if (layer is Ieee8021QPacket tag)
            {
                if (tags == 0)
                {
                    packet.OuterVlan = tag.VlanIdentifier;
                }
                else if (tags == 1)
                {
                    packet.InnerVlan = tag.VlanIdentifier;
                }
                tags++;
            }
            layer = layer.PayloadPacket;
        }

        switch (layer)
        {
            case IPv4Packet v4:
                // PacketDotNet trusts the EtherType and the IHL; the contract does not.
                if (v4.Version != IPVersion.IPv4 || v4.HeaderLength < MinimumIpv4HeaderWords)
                {
                    return DecodeStatus.Malformed;
                }
                packet.Source = IpAddress.FromIPAddress(v4.SourceAddress);
                packet.Destination = IpAddress.FromIPAddress(v4.DestinationAddress);
                if ((v4.FragmentFlags & Ipv4MoreFragmentsFlag) != 0 || v4.FragmentOffset != 0)
                {
                    return DecodeStatus.Fragment;
                }
                // TotalLength already stands in for a 0 written by segmentation offload.
                return FromTransport(v4, v4.HeaderSegment.Offset + (ushort)v4.TotalLength, captured, ref packet);

            case IPv6Packet v6:
                if (v6.Version != IPVersion.IPv6 || v6.PayloadLength == 0)
                {
                    return DecodeStatus.Malformed;
                }
                packet.Source = IpAddress.FromIPAddress(v6.SourceAddress);
                packet.Destination = IpAddress.FromIPAddress(v6.DestinationAddress);
                foreach (var extension in v6.ExtensionHeaders)
                {
                    if (extension.Header == ProtocolType.IPv6FragmentHeader && IsRealFragment(extension))
                    {
                        return DecodeStatus.Fragment;
                    }
                }
                return FromTransport(v6, v6.HeaderSegment.Offset + PacketDecoder.Ipv6HeaderLength + v6.PayloadLength, captured, ref packet);

            default:
                return DecodeStatus.NotIp;
        }
    }

    private static MacAddress Mac(byte[] bytes) => bytes.Length == MacAddress.Length ? MacAddress.FromBytes(bytes) : MacAddress.None;

    /// <summary>The same rule as the fast path: a 6-byte address of ARPHRD type Ethernet is a MAC.</summary>
    private static MacAddress CookedMac(int addressType, int addressLength, byte[] address) =>
        addressType == PacketDecoder.ArpHardwareEthernet && addressLength == MacAddress.Length && address.Length >= MacAddress.Length
            ? MacAddress.FromBytes(address)
            : MacAddress.None;

    /// <summary>A fragment header with offset 0 and no more fragments is an atomic fragment: a whole packet.</summary>
    private static bool IsRealFragment(IPv6ExtensionHeader header)
    {
        // The extension header's Payload starts after next header and length: offset+flags come first.
        var data = header.Payload;
        if (data is null || data.Length < 2)
        {
            return true;
        }
        var field = (data.Bytes[data.Offset] << 8) | data.Bytes[data.Offset + 1];
        return (field & 0xFFF8) != 0 || (field & FragmentHeaderMoreFragmentsFlag) != 0;
    }

    private static DecodeStatus FromTransport(IPPacket ip, int ipEnd, int captured, ref DecodedPacket packet)
    {
        switch (ip.PayloadPacket)
        {
            case TcpPacket tcp:
            {
                // PacketDotNet accepts any data offset and lets the header run past the IP packet.
                var payloadOffset = tcp.HeaderSegment.Offset + tcp.HeaderSegment.Length;
                if (tcp.DataOffset < MinimumTcpHeaderWords || payloadOffset > ipEnd)
                {
                    return DecodeStatus.Malformed;
                }
                packet.Transport = TransportProtocol.Tcp;
                packet.SourcePort = tcp.SourcePort;
                packet.DestinationPort = tcp.DestinationPort;
                packet.Sequence = tcp.SequenceNumber;
                packet.Acknowledgment = tcp.AcknowledgmentNumber;
                packet.TcpFlags = (TcpFlags)(tcp.Flags & ClassicTcpFlags);
                SetPayload(payloadOffset, ipEnd, captured, ref packet);
                return DecodeStatus.Ok;
            }

            case UdpPacket udp:
            {
                var payloadOffset = udp.HeaderSegment.Offset + udp.HeaderSegment.Length;
                // Length reads as a signed 16-bit value in PacketDotNet 1.4.8.
                var udpLength = (ushort)udp.Length;
                if (udpLength < payloadOffset - udp.HeaderSegment.Offset || payloadOffset > ipEnd)
                {
                    return DecodeStatus.Malformed;
                }
                packet.Transport = TransportProtocol.Udp;
                packet.SourcePort = udp.SourcePort;
                packet.DestinationPort = udp.DestinationPort;
                SetPayload(payloadOffset, Math.Min(udp.HeaderSegment.Offset + udpLength, ipEnd), captured, ref packet);
                return DecodeStatus.Ok;
            }

            default:
                return DecodeStatus.NotTcpOrUdp;
        }
    }

    /// <remarks>
    /// The captured length is passed down rather than read from the packet's BytesSegment: that
    /// property decodes the TCP payload lazily, and PacketDotNet 1.4.8 then reads past the end of a
    /// frame cut by the snaplen right after the TCP header (IndexOutOfRangeException).
    /// </remarks>
    private static void SetPayload(int payloadOffset, int declaredEnd, int captured, ref DecodedPacket packet)
    {
        packet.PayloadOffset = payloadOffset;
        packet.PayloadTruncated = declaredEnd > captured;
        packet.PayloadLength = Math.Min(declaredEnd, captured) - payloadOffset;
    }
}
