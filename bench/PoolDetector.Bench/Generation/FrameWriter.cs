using System.Buffers.Binary;
using PoolDetector.Tests.CaptureGeneration;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// Builds each frame (Ethernet, optional 802.1Q tag, IPv4 or IPv6, TCP or UDP, checksums all
/// valid) in one reused buffer and appends it to the pcap stream at <see cref="Now"/>. The
/// capture is a SPAN port at the campus router: campus hosts send to the router's MAC and
/// receive from it, whatever the server.
/// </summary>
internal sealed class FrameWriter
{
    private const byte Tcp = 6;
    private const byte Udp = 17;
    private const int MaxFrame = 14 + 4 + 40 + 60 + 65535;

    private static readonly byte[] RouterMac = [0x00, 0x1c, 0x73, 0x4a, 0x10, 0x01];

    private readonly PcapWriter _pcap;
    private readonly byte[] _frame = new byte[MaxFrame];

    public FrameWriter(Stream stream, long packetLimit)
    {
        _pcap = new PcapWriter(stream, PcapLinkType.Ethernet);
        PacketLimit = packetLimit;
    }

    /// <summary>Frames past this many are not written: the capture ends there, whatever is still open.</summary>
    public long PacketLimit { get; }

    public bool Full => Packets >= PacketLimit;

    /// <summary>Microseconds since the Unix epoch: the time stamp of the next frame written.</summary>
    public long Now { get; set; }

    public long Packets { get; private set; }

    public long Bytes { get; private set; }

    public void WriteTcp(Host client, Host server, bool fromClient, in TcpHeader header, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
    {
        var tcpLength = 20 + options.Length + payload.Length;
        var at = WriteLinkAndIp(client, server, fromClient, Tcp, tcpLength, header.IpId);
        var tcp = _frame.AsSpan(at, tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, header.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], header.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], header.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], header.Acknowledgement);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = header.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], header.Window);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[16..], 0); // checksum, urgent pointer
        options.CopyTo(tcp[20..]);
        payload.CopyTo(tcp[(20 + options.Length)..]);
        FinishTransport(client, server, fromClient, Tcp, tcp, checksumOffset: 16);
        Append(at + tcpLength);
    }

    public void WriteUdp(Host client, Host server, bool fromClient, ushort sourcePort, ushort destinationPort, ushort ipId, ReadOnlySpan<byte> payload)
    {
        var udpLength = 8 + payload.Length;
        var at = WriteLinkAndIp(client, server, fromClient, Udp, udpLength, ipId);
        var udp = _frame.AsSpan(at, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        payload.CopyTo(udp[8..]);
        FinishTransport(client, server, fromClient, Udp, udp, checksumOffset: 6);
        Append(at + udpLength);
    }

    /// <summary>Writes Ethernet, the VLAN tag and the IP header; returns where the transport header starts.</summary>
    private int WriteLinkAndIp(Host client, Host server, bool fromClient, byte protocol, int transportLength, ushort ipId)
    {
        var frame = _frame.AsSpan();
        (fromClient ? RouterMac : client.Mac).CopyTo(frame);
        (fromClient ? client.Mac : RouterMac).CopyTo(frame[6..]);
        var at = 12;
        if (client.Vlan != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[at..], 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(at + 2)..], client.Vlan);
            at += 4;
        }
        var source = fromClient ? client.Address : server.Address;
        var destination = fromClient ? server.Address : client.Address;
        if (client.IsIpv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[at..], 0x86dd);
            var ip = frame.Slice(at + 2, 40);
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000u); // version 6, no traffic class or flow label
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)transportLength);
            ip[6] = protocol;
            ip[7] = fromClient ? (byte)64 : (byte)52;
            source.CopyTo(ip[8..]);
            destination.CopyTo(ip[24..]);
            return at + 2 + 40;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[at..], 0x0800);
            var ip = frame.Slice(at + 2, 20);
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + transportLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
            // Campus hosts are a hop from the tap; servers many (Linux starts at 64).
            ip[8] = fromClient ? (byte)64 : (byte)52;
            ip[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
            source.CopyTo(ip[12..]);
            destination.CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Ipv4Header(ip));
            return at + 2 + 20;
        }
    }

    private static void FinishTransport(Host client, Host server, bool fromClient, byte protocol, Span<byte> segment, int checksumOffset)
    {
        var source = fromClient ? client.Address : server.Address;
        var destination = fromClient ? server.Address : client.Address;
        BinaryPrimitives.WriteUInt16BigEndian(segment[checksumOffset..], InternetChecksum.Transport(source, destination, protocol, segment));
    }

    private void Append(int length)
    {
        if (Full)
        {
            return;
        }
        _pcap.WritePacket(Now, _frame.AsSpan(0, length));
        Packets++;
        Bytes += length;
    }
}

/// <summary>The fields of one TCP header that change from segment to segment.</summary>
internal readonly record struct TcpHeader(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgement, byte Flags, ushort Window, ushort IpId);
