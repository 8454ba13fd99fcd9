using System.Buffers.Binary;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Tests.Evidence;

/// <summary>Ethernet/IPv4/TCP frames between 10.0.0.1 (client) and 10.0.0.2, built in memory for the evidence tests.</summary>
internal static class EvidenceFrames
{
    public static readonly IpAddress Client = IpAddress.Parse("10.0.0.1");
    public static readonly IpAddress Server = IpAddress.Parse("10.0.0.2");

    /// <summary>A TCP segment of flow (<paramref name="clientPort"/>, <paramref name="serverPort"/>), either way, its payload <paramref name="payload"/> bytes of <paramref name="fill"/>.</summary>
    public static byte[] Tcp(ushort clientPort, ushort serverPort, bool fromClient, int payload, byte fill)
    {
        var frame = new byte[14 + 20 + 20 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + payload));
        ip[8] = 64;
        ip[9] = 6;
        Client.WriteBytes(fromClient ? ip[12..] : ip[16..]);
        Server.WriteBytes(fromClient ? ip[16..] : ip[12..]);
        var tcp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fromClient ? clientPort : serverPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fromClient ? serverPort : clientPort);
        tcp[12] = 0x50;
        tcp[13] = 0x18; // PSH ACK
        tcp[20..].Fill(fill);
        return frame;
    }
}
