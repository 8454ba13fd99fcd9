using System.Buffers.Binary;
using System.Net;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>
/// Builds frames from the inside out: start with the transport, then wrap it in IP, VLAN
/// tags and a link layer. Each wrapper fills in the type/protocol/length of what it wraps,
/// so tests only state what they are about:
/// <code>FrameBuilder.Tcp(51234, 3333, "hi"u8).Ipv4("10.0.0.1", "10.0.0.2").Vlan(10).Ethernet().Build()</code>
/// TCP and UDP checksums are left wrong on purpose (0xBAD0): the decoder must not care.
/// </summary>
internal sealed class FrameBuilder
{
    public const byte ProtocolIcmp = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const byte ProtocolIcmpV6 = 58;
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;
    public const ushort EtherTypeArp = 0x0806;
    public const ushort EtherTypeSlarp = 0x8035;
    public const ushort PppProtocolIpv4 = 0x0021;
    public const ushort PppProtocolIpv6 = 0x0057;
    public const ushort PppProtocolLcp = 0xC021;
    private const ushort WrongChecksum = 0xBAD0;

    private byte[] _bytes;
    /// <summary>IP protocol number of the content while it is a transport; EtherType once it is IP or tagged.</summary>
    private ushort _type;

    private FrameBuilder(byte[] bytes, ushort type)
    {
        _bytes = bytes;
        _type = type;
    }

    public static FrameBuilder Tcp(ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload,
        uint sequence = 1000, uint acknowledgment = 2000, byte flags = 0x18, int optionBytes = 0)
    {
        var headerLength = 20 + optionBytes;
        var bytes = new byte[headerLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), acknowledgment);
        bytes[12] = (byte)(headerLength / 4 << 4);
        bytes[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14), 65535);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(16), WrongChecksum);
        // Options: NOPs, which any parser must skip.
        bytes.AsSpan(20, optionBytes).Fill(1);
        payload.CopyTo(bytes.AsSpan(headerLength));
        return new FrameBuilder(bytes, ProtocolTcp);
    }

    public static FrameBuilder Udp(ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)bytes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), WrongChecksum);
        payload.CopyTo(bytes.AsSpan(8));
        return new FrameBuilder(bytes, ProtocolUdp);
    }

    /// <summary>An ICMP echo request (for IPv4) or any other IP protocol's bytes as they are.</summary>
    public static FrameBuilder IpPayload(byte protocol, ReadOnlySpan<byte> bytes) => new(bytes.ToArray(), protocol);

    public static FrameBuilder IcmpEcho() => IpPayload(ProtocolIcmp, [8, 0, 0xF7, 0xFF, 0, 0, 0, 0]);

    /// <summary>An ARP request as it follows the Ethernet header.</summary>
    public static FrameBuilder Arp() => new(
        [0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2],
        EtherTypeArp);

    /// <summary>A Cisco SLARP keepalive (RFC 1547 style) as it follows the Cisco HDLC header.</summary>
    public static FrameBuilder Slarp() => new(
        [0, 0, 0, 2, 0, 0, 0, 0x2A, 0, 0, 0, 0x29, 0xFF, 0xFF, 0x01, 0x02, 0x03, 0x04],
        EtherTypeSlarp);

    /// <summary>A PPP LCP Echo-Request as it follows the PPP protocol field.</summary>
    public static FrameBuilder LcpEchoRequest() => new([9, 1, 0, 8, 0x12, 0x34, 0x56, 0x78], PppProtocolLcp);

    public FrameBuilder Ipv4(string source, string destination, int optionBytes = 0, ushort fragment = 0,
        bool wrongChecksum = false, byte ttl = 64)
    {
        var headerLength = 20 + optionBytes;
        var header = new byte[headerLength];
        header[0] = (byte)(0x40 | headerLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(headerLength + _bytes.Length));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), fragment);
        header[8] = ttl;
        header[9] = (byte)_type;
        IPAddress.Parse(source).TryWriteBytes(header.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(header.AsSpan(16), out _);
        // Options: NOPs then End of Options.
        header.AsSpan(20, optionBytes).Fill(1);
        if (optionBytes > 0)
        {
            header[^1] = 0;
        }
        var checksum = Ipv4Checksum(header);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), wrongChecksum ? (ushort)~checksum : checksum);
        return Prepend(header, EtherTypeIpv4);
    }

    /// <summary>
    /// An IPv6 extension header: <paramref name="bodyLength"/> bytes after next-header and length,
    /// padded by the caller to the header's unit (8 bytes, or 4 for AH with its own length rule).
    /// </summary>
    public FrameBuilder Ipv6Extension(byte type, int bodyLength = 6, ushort fragmentField = 0)
    {
        var length = type == 44 ? 8 : 2 + bodyLength;
        var header = new byte[length];
        header[0] = (byte)_type;
        header[1] = type switch
        {
            44 => 0,
            51 => (byte)(length / 4 - 2),
            _ => (byte)(length / 8 - 1),
        };
        if (type == 44)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), fragmentField);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 0xCAFE);
        }
        else if (type is 0 or 60)
        {
            // A PadN option covering the body, so option parsers see well-formed options.
            header[2] = 1;
            header[3] = (byte)(bodyLength - 2);
        }
        return Prepend(header, type);
    }

    public FrameBuilder Ipv6(string source, string destination, byte hopLimit = 64)
    {
        var header = new byte[40];
        header[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)_bytes.Length);
        header[6] = (byte)_type;
        header[7] = hopLimit;
        IPAddress.Parse(source).TryWriteBytes(header.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(header.AsSpan(24), out _);
        return Prepend(header, EtherTypeIpv6);
    }

    public FrameBuilder Vlan(ushort vlanId, ushort tagProtocol = 0x8100, byte priority = 0)
    {
        var tag = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(tag, (ushort)(priority << 13 | vlanId));
        BinaryPrimitives.WriteUInt16BigEndian(tag.AsSpan(2), _type);
        return Prepend(tag, tagProtocol);
    }

    /// <summary>A PPPoE session header and PPP protocol field; the result is tagged with EtherType 0x8864.</summary>
    public FrameBuilder PppoeSession()
    {
        var header = new byte[8];
        header[0] = 0x11; // version 1, type 1
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 0x1B3D);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(_bytes.Length + 2));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), _type == EtherTypeIpv6 ? (ushort)0x0057 : (ushort)0x0021);
        return Prepend(header, 0x8864);
    }

    /// <summary>
    /// PPP framing: RFC 1662 address and control bytes (0xFF 0x03) unless left out, then the protocol field,
    /// two bytes or, with <paramref name="compressProtocol"/>, one (RFC 1661 protocol field compression).
    /// IP content maps to PPP's own numbers (0x0021, 0x0057); anything else is taken as the PPP protocol.
    /// </summary>
    public FrameBuilder Ppp(bool addressAndControl = true, bool compressProtocol = false)
    {
        var protocol = _type switch
        {
            EtherTypeIpv4 => PppProtocolIpv4,
            EtherTypeIpv6 => PppProtocolIpv6,
            _ => _type,
        };
        var header = new List<byte>();
        if (addressAndControl)
        {
            header.AddRange([0xFF, 0x03]);
        }
        if (compressProtocol)
        {
            header.Add(checked((byte)protocol));
        }
        else
        {
            header.AddRange([(byte)(protocol >> 8), (byte)protocol]);
        }
        return Prepend([.. header], 0);
    }

    /// <summary>Cisco HDLC: address (0x0F unicast, 0x8F broadcast), control 0x00, EtherType.</summary>
    public FrameBuilder CiscoHdlc(byte address = 0x0F)
    {
        var header = new byte[4];
        header[0] = address;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), _type);
        return Prepend(header, 0);
    }

    /// <summary>Ethernet II; the MACs default to 00:1b:21:01:02:03 (source) and 00:1b:21:0a:0b:0c.</summary>
    public FrameBuilder Ethernet(string? sourceMac = null, string? destinationMac = null)
    {
        var header = new byte[14];
        byte[] destination = destinationMac is null ? [0x00, 0x1B, 0x21, 0x0A, 0x0B, 0x0C] : Convert.FromHexString(destinationMac.Replace(":", "", StringComparison.Ordinal));
        byte[] source = sourceMac is null ? [0x00, 0x1B, 0x21, 0x01, 0x02, 0x03] : Convert.FromHexString(sourceMac.Replace(":", "", StringComparison.Ordinal));
        destination.CopyTo(header, 0);
        source.CopyTo(header, 6);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(12), _type);
        return Prepend(header, 0);
    }

    /// <summary>Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol.</summary>
    public FrameBuilder LinuxSll()
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(header, 0); // to us
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 6);
        header[6] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), _type);
        return Prepend(header, 0);
    }

    /// <summary>Linux cooked v2: protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes.</summary>
    public FrameBuilder LinuxSll2()
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, _type);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), 1);
        header[10] = 0;
        header[11] = 6;
        header[12] = 0x02;
        return Prepend(header, 0);
    }

    /// <summary>BSD loopback with the family in little-endian (x86 capture) or big-endian byte order.</summary>
    public FrameBuilder Null(uint family, bool bigEndian = false)
    {
        var header = new byte[4];
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, family);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, family);
        }
        return Prepend(header, 0);
    }

    /// <summary>OpenBSD DLT_LOOP: the family is always big-endian.</summary>
    public FrameBuilder Loop(uint family) => Null(family, bigEndian: true);

    /// <summary>Trailing bytes after the IP packet, as Ethernet adds to reach 60 bytes.</summary>
    public FrameBuilder Pad(int count) => Append(new byte[count]);

    public FrameBuilder Append(ReadOnlySpan<byte> trailer)
    {
        _bytes = [.. _bytes, .. trailer];
        return this;
    }

    /// <summary>Changes a byte of the frame built so far, to forge bogus fields.</summary>
    public FrameBuilder Poke(int offset, byte value)
    {
        _bytes[offset] = value;
        return this;
    }

    public FrameBuilder PokeUInt16(int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_bytes.AsSpan(offset), value);
        return this;
    }

    public byte[] Build() => (byte[])_bytes.Clone();

    private FrameBuilder Prepend(byte[] header, ushort typeOfResult)
    {
        _bytes = [.. header, .. _bytes];
        _type = typeOfResult;
        return this;
    }

    private static ushort Ipv4Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
        {
            sum += i == 10 ? 0u : BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
