using System.Buffers.Binary;
using PoolDetector.Tests.CaptureGeneration;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// Makes a classic pcap replayable onto a veth: Ethernet files are used as they are; Linux
/// cooked v1/v2 and raw-IP files get their link header replaced by an Ethernet header with
/// the same EtherType (locally administered MACs), packet times and IP packets unchanged.
/// tcprewrite --dlt=enet (tcpreplay 4.4.3) cannot do this here: it writes SLL as 802.3
/// frames with no EtherType, has no SLL2 plugin, and refuses raw IP.
/// </summary>
internal static class EthernetRewrite
{
    private static readonly byte[] ServerMac = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x02];
    private static readonly byte[] ClientMac = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];

    /// <summary>
    /// <paramref name="path"/> itself when it is Ethernet; else an Ethernet copy written into
    /// <paramref name="directory"/>.
    /// </summary>
    public static string Replayable(string path, string directory)
    {
        var bytes = File.ReadAllBytes(path);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var littleEndian = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        if (!littleEndian && magic is not (0xd4c3b2a1 or 0x4d3cb2a1))
        {
            throw new InvalidDataException(path + ": not a classic pcap file");
        }
        uint U32(int offset) => littleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset))
            : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
        var nanoseconds = magic is 0xa1b23c4d or 0x4d3cb2a1;
        var linkType = U32(20);
        if (linkType == 1)
        {
            return path;
        }

        var output = Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + "-ethernet.pcap");
        using var stream = File.Create(output);
        var writer = new PcapWriter(stream, PcapLinkType.Ethernet);
        var offset = 24;
        while (offset + 16 <= bytes.Length)
        {
            var seconds = U32(offset);
            var fraction = U32(offset + 4);
            var captured = (int)U32(offset + 8);
            var frame = bytes.AsSpan(offset + 16, captured);
            offset += 16 + captured;
            var micros = seconds * 1_000_000L + (nanoseconds ? fraction / 1000 : fraction);
            var (etherType, headerLength, outgoing) = Strip(linkType, frame, path);
            var payload = frame[headerLength..];
            var ethernet = new byte[14 + payload.Length];
            (outgoing ? ServerMac : ClientMac).CopyTo(ethernet, 0);
            (outgoing ? ClientMac : ServerMac).CopyTo(ethernet, 6);
            BinaryPrimitives.WriteUInt16BigEndian(ethernet.AsSpan(12), etherType);
            payload.CopyTo(ethernet.AsSpan(14));
            writer.WritePacket(micros, ethernet);
        }
        return output;
    }

    private static (ushort EtherType, int HeaderLength, bool Outgoing) Strip(uint linkType, ReadOnlySpan<byte> frame, string path)
    {
        switch (linkType)
        {
            case 113: // Linux cooked v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
                return (BinaryPrimitives.ReadUInt16BigEndian(frame[14..]), 16, BinaryPrimitives.ReadUInt16BigEndian(frame) == 4);
            case 276: // Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
                return (BinaryPrimitives.ReadUInt16BigEndian(frame), 20, frame[10] == 4);
            case 101: // raw IP: the version nibble says which
            case 12:
                return ((frame[0] >> 4) == 6 ? (ushort)0x86dd : (ushort)0x0800, 0, false);
            default:
                throw new InvalidDataException($"{path}: link type {linkType} cannot be turned into Ethernet here");
        }
    }
}
