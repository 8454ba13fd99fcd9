using System.Buffers.Binary;

namespace PoolDetector.Core.Decoding;

/// <summary>
/// The engine's span-based decoder: link layer (Ethernet, 802.1Q/QinQ, Linux cooked v1/v2,
/// raw IP, BSD loopback, PPP, Cisco HDLC), IPv4/IPv6 (extension headers), TCP and UDP, without allocating.
/// Checksums are never verified: offloaded captures carry wrong ones as a matter of course.
/// </summary>
/// <remarks>
/// Every input yields a <see cref="DecodeStatus"/>; nothing throws. The fields of
/// <see cref="DecodedPacket"/> are meaningful only when the status is <see cref="DecodeStatus.Ok"/>
/// (addresses and VLANs may be filled for fragments and other IP traffic, but nothing promises it).
/// <see cref="ReferenceDecoder"/> is the PacketDotNet decoder this one is checked against.
/// </remarks>
public static class PacketDecoder
{
    internal const ushort EtherTypeIpv4 = 0x0800;
    internal const ushort EtherTypeIpv6 = 0x86DD;
    internal const ushort EtherTypeVlan = 0x8100;
    internal const ushort EtherTypeProviderBridging = 0x88A8;
    /// <summary>The pre-standard QinQ outer tag some switches still emit.</summary>
    internal const ushort EtherTypeQinQLegacy = 0x9100;
    internal const ushort EtherTypePppoeSession = 0x8864;

    internal const int EthernetHeaderLength = 14;
    internal const int VlanTagLength = 4;
    internal const int LinuxSllHeaderLength = 16;
    internal const int LinuxSll2HeaderLength = 20;
    internal const int LoopbackHeaderLength = 4;
    internal const int CiscoHdlcHeaderLength = 4;
    /// <summary>PPPoE session header (6) plus the PPP protocol field (2).</summary>
    internal const int PppoeSessionHeaderLength = 8;
    internal const int Ipv4MinimumHeaderLength = 20;
    internal const int Ipv6HeaderLength = 40;
    internal const int TcpMinimumHeaderLength = 20;
    internal const int UdpHeaderLength = 8;
    private const int Ipv6FragmentHeaderLength = 8;

    private const int LinuxSllProtocolOffset = 14;
    private const int LinuxSll2ProtocolOffset = 0;
    private const int LinuxSllAddressTypeOffset = 2;
    private const int LinuxSllAddressLengthOffset = 4;
    private const int LinuxSllAddressOffset = 6;
    private const int LinuxSll2AddressTypeOffset = 8;
    private const int LinuxSll2AddressLengthOffset = 11;
    private const int LinuxSll2AddressOffset = 12;
    /// <summary>ARPHRD_ETHER: the cooked header's address is an Ethernet MAC (loopback's is 772, with zeros).</summary>
    internal const ushort ArpHardwareEthernet = 1;
    private const ushort VlanIdMask = 0x0FFF;
    private const ushort PppProtocolIpv4 = 0x0021;
    private const ushort PppProtocolIpv6 = 0x0057;
    private const byte PppAddress = 0xFF;
    private const byte PppControl = 0x03;
    private const byte CiscoHdlcUnicast = 0x0F;
    private const byte CiscoHdlcBroadcast = 0x8F;
    internal const int CiscoHdlcProtocolOffset = 2;

    // BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 is not.
    private const uint AddressFamilyInet = 2;
    private const uint AddressFamilyInet6Linux = 10;
    private const uint AddressFamilyInet6NetBsdOpenBsd = 24;
    private const uint AddressFamilyInet6FreeBsd = 28;
    private const uint AddressFamilyInet6Darwin = 30;

    private const byte ProtocolHopByHop = 0;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const byte ProtocolRouting = 43;
    private const byte ProtocolFragment = 44;
    private const byte ProtocolEsp = 50;
    private const byte ProtocolAuthentication = 51;
    private const byte ProtocolNoNextHeader = 59;
    private const byte ProtocolDestinationOptions = 60;
    private const byte ProtocolMobility = 135;
    private const byte ProtocolHostIdentity = 139;
    private const byte ProtocolShim6 = 140;

    private const ushort Ipv4MoreFragmentsFlag = 0x2000;
    private const ushort Ipv4FragmentOffsetMask = 0x1FFF;
    private const ushort Ipv6FragmentOffsetMask = 0xFFF8;
    private const ushort Ipv6MoreFragmentsFlag = 0x0001;

    /// <summary>The six classic TCP flags <see cref="TcpFlags"/> names; ECE, CWR and NS are dropped.</summary>
    private const byte TcpFlagsMask = 0x3F;

    public static DecodeStatus Decode(LinkType linkType, ReadOnlySpan<byte> frame, out DecodedPacket packet)
    {
        packet = default;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (frame.Length < EthernetHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                packet.DestinationMac = MacAddress.FromBytes(frame);
                packet.SourceMac = MacAddress.FromBytes(frame[MacAddress.Length..]);
                return DecodeEtherType(frame, ReadUInt16(frame, EthernetHeaderLength - 2), EthernetHeaderLength, ref packet);

            case LinkType.LinuxSll:
                if (frame.Length < LinuxSllHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                packet.SourceMac = CookedSourceMac(frame, LinuxSllAddressTypeOffset, ReadUInt16(frame, LinuxSllAddressLengthOffset), LinuxSllAddressOffset);
                return DecodeEtherType(frame, ReadUInt16(frame, LinuxSllProtocolOffset), LinuxSllHeaderLength, ref packet);

            case LinkType.LinuxSll2:
                if (frame.Length < LinuxSll2HeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                packet.SourceMac = CookedSourceMac(frame, LinuxSll2AddressTypeOffset, frame[LinuxSll2AddressLengthOffset], LinuxSll2AddressOffset);
                return DecodeEtherType(frame, ReadUInt16(frame, LinuxSll2ProtocolOffset), LinuxSll2HeaderLength, ref packet);

            case LinkType.Raw:
                return DecodeIpByVersion(frame, 0, ref packet);

            case LinkType.Ipv4:
                // IPv4 only, as libpcap defines the link type: an IPv6 packet fails the version check (Malformed).
                return DecodeIpv4(frame, 0, ref packet);

            case LinkType.Ipv6:
                return DecodeIpv6(frame, 0, ref packet);

            case LinkType.Null:
                if (frame.Length < LoopbackHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                return DecodeLoopbackFamily(frame, HostOrderFamily(frame), ref packet);

            case LinkType.Loop:
                if (frame.Length < LoopbackHeaderLength)
                {
                    return DecodeStatus.Truncated;
                }
                return DecodeLoopbackFamily(frame, BinaryPrimitives.ReadUInt32BigEndian(frame), ref packet);

            case LinkType.Ppp:
            case LinkType.PppHdlc:
                return DecodePpp(frame, ref packet);

            case LinkType.CiscoHdlc:
                return DecodeCiscoHdlc(frame, ref packet);

            default:
                return DecodeStatus.UnsupportedLinkType;
        }
    }

    /// <summary>
    /// The Linux cooked headers keep the sender's link-layer address (up to 8 bytes) and its
    /// ARPHRD type; only a 6-byte Ethernet address is a MAC. Captures on <c>any</c> reach here.
    /// </summary>
    private static MacAddress CookedSourceMac(ReadOnlySpan<byte> frame, int typeOffset, int addressLength, int addressOffset) =>
        ReadUInt16(frame, typeOffset) == ArpHardwareEthernet && addressLength == MacAddress.Length
            ? MacAddress.FromBytes(frame[addressOffset..])
            : MacAddress.None;

    /// <summary>
    /// DLT_NULL stores the family in the capturing machine's byte order, which the file does
    /// not record. Families are small numbers, so a value with its high half set was
    /// written in the other byte order.
    /// </summary>
    private static uint HostOrderFamily(ReadOnlySpan<byte> frame)
    {
        var family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        return (family & 0xFFFF0000) != 0 ? BinaryPrimitives.ReverseEndianness(family) : family;
    }

    private static DecodeStatus DecodeLoopbackFamily(ReadOnlySpan<byte> frame, uint family, ref DecodedPacket packet) =>
        family switch
        {
            AddressFamilyInet => DecodeIpv4(frame, LoopbackHeaderLength, ref packet),
            AddressFamilyInet6Linux or AddressFamilyInet6NetBsdOpenBsd or AddressFamilyInet6FreeBsd or AddressFamilyInet6Darwin
                => DecodeIpv6(frame, LoopbackHeaderLength, ref packet),
            _ => DecodeStatus.NotIp,
        };

    /// <summary>Follows VLAN tags from <paramref name="offset"/>, where <paramref name="etherType"/> has just been read.</summary>
    private static DecodeStatus DecodeEtherType(ReadOnlySpan<byte> frame, ushort etherType, int offset, ref DecodedPacket packet)
    {
        var tags = 0;
        while (etherType is EtherTypeVlan or EtherTypeProviderBridging or EtherTypeQinQLegacy)
        {
            if (offset + VlanTagLength > frame.Length)
            {
                return DecodeStatus.Truncated;
            }
            var vlanId = (ushort)(ReadUInt16(frame, offset) & VlanIdMask);
            // Tags beyond the second are skipped: flows are keyed by the outer two.
            if (tags == 0)
            {
                packet.OuterVlan = vlanId;
            }
            else if (tags == 1)
            {
                packet.InnerVlan = vlanId;
            }
            tags++;
            etherType = ReadUInt16(frame, offset + 2);
            offset += VlanTagLength;
        }

        return etherType switch
        {
            EtherTypeIpv4 => DecodeIpv4(frame, offset, ref packet),
            EtherTypeIpv6 => DecodeIpv6(frame, offset, ref packet),
            EtherTypePppoeSession => DecodePppoeSession(frame, offset, ref packet),
            // ARP, LLDP, and 802.3 frames whose "type" is really a length.
            _ => DecodeStatus.NotIp,
        };
    }

    /// <summary>DSL uplinks and some residence-hall networks carry IP inside PPPoE sessions.</summary>
    private static DecodeStatus DecodePppoeSession(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        if (offset + PppoeSessionHeaderLength > frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        return DecodePppProtocol(frame, ReadUInt16(frame, offset + 6), offset + PppoeSessionHeaderLength, ref packet);
    }

    /// <summary>
    /// DLT_PPP and DLT_PPP_HDLC are read alike, as Wireshark reads them: routers write Cisco HDLC frames
    /// under both numbers (the corpus has one), and its address byte 0x0F or 0x8F cannot start a PPP frame
    /// that carries IP. Otherwise the RFC 1662 address and control bytes are optional (address-and-control
    /// field compression, or captures that strip them) and are followed by the protocol field.
    /// </summary>
    private static DecodeStatus DecodePpp(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.IsEmpty)
        {
            return DecodeStatus.Truncated;
        }
        if (frame[0] is CiscoHdlcUnicast or CiscoHdlcBroadcast)
        {
            return DecodeCiscoHdlc(frame, ref packet);
        }
        var offset = 0;
        if (frame[0] == PppAddress)
        {
            if (frame.Length < 2)
            {
                return DecodeStatus.Truncated;
            }
            if (frame[1] == PppControl)
            {
                offset = 2;
            }
        }
        if (offset >= frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        // Protocol field compression (RFC 1661 section 6.5): every protocol number has an even high byte and
        // an odd low byte, so an odd first byte is a one-byte field whose high byte 0x00 was left out.
        if ((frame[offset] & 1) != 0)
        {
            return DecodePppProtocol(frame, frame[offset], offset + 1, ref packet);
        }
        if (offset + 2 > frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        return DecodePppProtocol(frame, ReadUInt16(frame, offset), offset + 2, ref packet);
    }

    private static DecodeStatus DecodePppProtocol(ReadOnlySpan<byte> frame, ushort protocol, int offset, ref DecodedPacket packet) =>
        protocol switch
        {
            PppProtocolIpv4 => DecodeIpv4(frame, offset, ref packet),
            PppProtocolIpv6 => DecodeIpv6(frame, offset, ref packet),
            // LCP, IPCP and other control protocols; Van Jacobson compressed TCP cannot be read without the link's state.
            _ => DecodeStatus.NotIp,
        };

    /// <summary>The address and control bytes are not checked: tcpdump and Wireshark do not check them either.</summary>
    private static DecodeStatus DecodeCiscoHdlc(ReadOnlySpan<byte> frame, ref DecodedPacket packet)
    {
        if (frame.Length < CiscoHdlcHeaderLength)
        {
            return DecodeStatus.Truncated;
        }
        return ReadUInt16(frame, CiscoHdlcProtocolOffset) switch
        {
            EtherTypeIpv4 => DecodeIpv4(frame, CiscoHdlcHeaderLength, ref packet),
            EtherTypeIpv6 => DecodeIpv6(frame, CiscoHdlcHeaderLength, ref packet),
            // SLARP keepalives (0x8035), CDP, MPLS: no VLAN tags or PPPoE on a serial link, so no EtherType walk.
            _ => DecodeStatus.NotIp,
        };
    }

    private static DecodeStatus DecodeIpByVersion(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        if (offset >= frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        return (frame[offset] >> 4) switch
        {
            4 => DecodeIpv4(frame, offset, ref packet),
            6 => DecodeIpv6(frame, offset, ref packet),
            _ => DecodeStatus.NotIp,
        };
    }

    private static DecodeStatus DecodeIpv4(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        if (offset + Ipv4MinimumHeaderLength > frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        var ip = frame[offset..];
        if (ip[0] >> 4 != 4)
        {
            return DecodeStatus.Malformed;
        }
        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < Ipv4MinimumHeaderLength)
        {
            return DecodeStatus.Malformed;
        }
        if (headerLength > ip.Length)
        {
            return DecodeStatus.Truncated;
        }
        int totalLength = ReadUInt16(ip, 2);
        if (totalLength == 0)
        {
            // Segmentation offload: the capturing host saw the segment before the NIC split it and
            // wrote 0 for the length (Windows does). Wireshark's "TSO" option reads it as "the rest of the frame".
            totalLength = ip.Length;
        }
        else if (totalLength < headerLength)
        {
            return DecodeStatus.Malformed;
        }

        packet.Source = IpAddress.FromV4(ip[12..]);
        packet.Destination = IpAddress.FromV4(ip[16..]);

        var fragment = ReadUInt16(ip, 6);
        if ((fragment & (Ipv4MoreFragmentsFlag | Ipv4FragmentOffsetMask)) != 0)
        {
            return DecodeStatus.Fragment;
        }
        return DecodeTransport(frame, ip[9], offset + headerLength, offset + totalLength, ref packet);
    }

    private static DecodeStatus DecodeIpv6(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        if (offset + Ipv6HeaderLength > frame.Length)
        {
            return DecodeStatus.Truncated;
        }
        var ip = frame[offset..];
        if (ip[0] >> 4 != 6)
        {
            return DecodeStatus.Malformed;
        }
        int payloadLength = ReadUInt16(ip, 4);
        var nextHeader = ip[6];
        packet.Source = IpAddress.FromV6(ip[8..]);
        packet.Destination = IpAddress.FromV6(ip[24..]);

        if (payloadLength == 0)
        {
            // Zero means a jumbogram (RFC 2675) whose length hides in a hop-by-hop option;
            // jumbograms do not cross the networks we watch, so zero with content is treated as malformed.
            return nextHeader == ProtocolNoNextHeader ? DecodeStatus.NotTcpOrUdp : DecodeStatus.Malformed;
        }

        var end = offset + Ipv6HeaderLength + payloadLength;
        var cursor = offset + Ipv6HeaderLength;
        while (true)
        {
            switch (nextHeader)
            {
                case ProtocolTcp:
                case ProtocolUdp:
                    return DecodeTransport(frame, nextHeader, cursor, end, ref packet);

                case ProtocolHopByHop:
                case ProtocolRouting:
                case ProtocolDestinationOptions:
                case ProtocolMobility:
                case ProtocolHostIdentity:
                case ProtocolShim6:
                case ProtocolAuthentication:
                case ProtocolFragment:
                    break;

                case ProtocolEsp: // encrypted from here on
                case ProtocolNoNextHeader:
                    return DecodeStatus.NotTcpOrUdp;

                default:
                    // ICMPv6, tunnels (IP-in-IPv6, GRE: out of scope) and anything else.
                    return DecodeStatus.NotTcpOrUdp;
            }

            // Every extension header starts with next header and a length byte.
            var status = CheckHeader(frame, cursor, 2, end);
            if (status != DecodeStatus.Ok)
            {
                return status;
            }
            int length = nextHeader switch
            {
                ProtocolFragment => Ipv6FragmentHeaderLength,
                // AH counts 4-byte units minus 2, unlike every other extension header (RFC 4302).
                ProtocolAuthentication => (frame[cursor + 1] + 2) * 4,
                _ => (frame[cursor + 1] + 1) * 8,
            };
            status = CheckHeader(frame, cursor, length, end);
            if (status != DecodeStatus.Ok)
            {
                return status;
            }
            if (nextHeader == ProtocolFragment)
            {
                // An atomic fragment (offset 0, no more fragments, RFC 6946) is a whole packet.
                var fragment = ReadUInt16(frame, cursor + 2);
                if ((fragment & (Ipv6FragmentOffsetMask | Ipv6MoreFragmentsFlag)) != 0)
                {
                    return DecodeStatus.Fragment;
                }
            }
            nextHeader = frame[cursor];
            cursor += length;
        }
    }

    /// <summary>
    /// Decodes TCP or UDP at <paramref name="offset"/> of an IP packet that the IP header says
    /// ends at <paramref name="ipEnd"/>; the capture may hold fewer bytes than that (snaplen)
    /// or more (Ethernet padding).
    /// </summary>
    private static DecodeStatus DecodeTransport(ReadOnlySpan<byte> frame, byte protocol, int offset, int ipEnd, ref DecodedPacket packet)
    {
        if (protocol == ProtocolTcp)
        {
            var status = CheckHeader(frame, offset, TcpMinimumHeaderLength, ipEnd);
            if (status != DecodeStatus.Ok)
            {
                return status;
            }
            var tcp = frame[offset..];
            var headerLength = (tcp[12] >> 4) * 4;
            if (headerLength < TcpMinimumHeaderLength)
            {
                return DecodeStatus.Malformed;
            }
            status = CheckHeader(frame, offset, headerLength, ipEnd);
            if (status != DecodeStatus.Ok)
            {
                return status;
            }
            packet.Transport = TransportProtocol.Tcp;
            packet.SourcePort = ReadUInt16(tcp, 0);
            packet.DestinationPort = ReadUInt16(tcp, 2);
            packet.Sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
            packet.Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
            packet.TcpFlags = (TcpFlags)(tcp[13] & TcpFlagsMask);
            SetPayload(frame, offset + headerLength, ipEnd, ref packet);
            return DecodeStatus.Ok;
        }

        if (protocol == ProtocolUdp)
        {
            var status = CheckHeader(frame, offset, UdpHeaderLength, ipEnd);
            if (status != DecodeStatus.Ok)
            {
                return status;
            }
            var udp = frame[offset..];
            int udpLength = ReadUInt16(udp, 4);
            if (udpLength < UdpHeaderLength)
            {
                return DecodeStatus.Malformed;
            }
            packet.Transport = TransportProtocol.Udp;
            packet.SourcePort = ReadUInt16(udp, 0);
            packet.DestinationPort = ReadUInt16(udp, 2);
            // The UDP length may only shorten what IP says; a longer claim is clipped to the IP packet.
            SetPayload(frame, offset + UdpHeaderLength, Math.Min(offset + udpLength, ipEnd), ref packet);
            return DecodeStatus.Ok;
        }

        return DecodeStatus.NotTcpOrUdp;
    }

    private static void SetPayload(ReadOnlySpan<byte> frame, int payloadOffset, int declaredEnd, ref DecodedPacket packet)
    {
        var end = declaredEnd;
        if (end > frame.Length)
        {
            end = frame.Length;
            packet.PayloadTruncated = true;
        }
        packet.PayloadOffset = payloadOffset;
        packet.PayloadLength = end - payloadOffset;
    }

    /// <summary>
    /// A header of <paramref name="length"/> bytes at <paramref name="offset"/> must lie inside the
    /// IP packet (else the lengths contradict each other) and inside the capture (else it was cut).
    /// </summary>
    private static DecodeStatus CheckHeader(ReadOnlySpan<byte> frame, int offset, int length, int ipEnd)
    {
        if (offset + length > ipEnd)
        {
            return DecodeStatus.Malformed;
        }
        return offset + length > frame.Length ? DecodeStatus.Truncated : DecodeStatus.Ok;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> span, int offset) =>
        BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);
}
