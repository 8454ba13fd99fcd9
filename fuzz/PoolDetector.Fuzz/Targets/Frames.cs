using System.Buffers.Binary;

namespace PoolDetector.Fuzz.Targets;

/// <summary>
/// Builds the Ethernet/IPv4 frames the stream and datagram targets wrap their input in, so a
/// fuzzed payload reaches its parser through the real path (decoder, flow table, reassembly,
/// framing decision) and not through a shortcut the program never takes. Checksums are left
/// zero: the decoder never verifies them.
/// </summary>
internal static class Frames
{
    public const int EthernetHeader = 14;
    public const int Ipv4Header = 20;
    public const int TcpHeader = 20;
    public const int UdpHeader = 8;

    public static readonly byte[] Client = [192, 0, 2, 10];
    public static readonly byte[] Server = [203, 0, 113, 10];

    /// <summary>An Ethernet/IPv4/TCP frame carrying <paramref name="payload"/>.</summary>
    public static byte[] Tcp(bool fromClient, ushort clientPort, ushort serverPort, uint sequence, uint acknowledgment, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[EthernetHeader + Ipv4Header + TcpHeader + payload.Length];
        var ip = WriteEthernetAndIpv4(frame, fromClient, protocol: 6, Ipv4Header + TcpHeader + payload.Length);
        var tcp = frame.AsSpan(ip + Ipv4Header);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fromClient ? clientPort : serverPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fromClient ? serverPort : clientPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = (TcpHeader / 4) << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[TcpHeader..]);
        return frame;
    }

    /// <summary>An Ethernet/IPv4/UDP frame carrying <paramref name="payload"/> (clipped to what one datagram holds).</summary>
    public static byte[] Udp(bool fromClient, ushort clientPort, ushort serverPort, ReadOnlySpan<byte> payload)
    {
        payload = payload[..Math.Min(payload.Length, ushort.MaxValue - Ipv4Header - UdpHeader)];
        var frame = new byte[EthernetHeader + Ipv4Header + UdpHeader + payload.Length];
        var ip = WriteEthernetAndIpv4(frame, fromClient, protocol: 17, Ipv4Header + UdpHeader + payload.Length);
        var udp = frame.AsSpan(ip + Ipv4Header);
        BinaryPrimitives.WriteUInt16BigEndian(udp, fromClient ? clientPort : serverPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], fromClient ? serverPort : clientPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(UdpHeader + payload.Length));
        payload.CopyTo(udp[UdpHeader..]);
        return frame;
    }

    private static int WriteEthernetAndIpv4(byte[] frame, bool fromClient, byte protocol, int ipLength)
    {
        // Locally administered MACs, one per side: attribution reads them.
        frame[0] = 0x02;
        frame[5] = fromClient ? (byte)2 : (byte)1;
        frame[6] = 0x02;
        frame[11] = fromClient ? (byte)1 : (byte)2;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(EthernetHeader);
        ip[0] = 0x45;
        // A payload longer than an IPv4 packet holds gets total length 0, which the decoder
        // reads as segmentation offload (the frame's own length counts), as real captures show.
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], ipLength <= ushort.MaxValue ? (ushort)ipLength : (ushort)0);
        ip[8] = 64;
        ip[9] = protocol;
        (fromClient ? Client : Server).CopyTo(ip[12..]);
        (fromClient ? Server : Client).CopyTo(ip[16..]);
        return EthernetHeader;
    }
}
