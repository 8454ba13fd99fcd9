using System.Buffers.Binary;

namespace PoolDetector.Bench.Running;

/// <summary>Counts a classic pcap's packets by its record headers, reading the whole file once (which also brings it into the page cache before anything is timed).</summary>
internal static class CaptureFile
{
    /// <summary>Ethernet (LINKTYPE_ETHERNET): what a veth carries, so what the live mode can replay as it is.</summary>
    public const uint Ethernet = 1;

    /// <summary>A little-endian classic pcap's link type, from its file header.</summary>
    public static uint LinkType(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[24];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) is not (0xa1b2c3d4 or 0xa1b23c4d))
        {
            throw new InvalidDataException($"{path}: not a little-endian classic pcap");
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
    }

    public static long CountPackets(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        Span<byte> header = stackalloc byte[24];
        stream.ReadExactly(header);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic is not (0xa1b2c3d4 or 0xa1b23c4d))
        {
            throw new InvalidDataException($"{path}: not a little-endian classic pcap (pcapng and big-endian files are not counted here)");
        }

        long packets = 0;
        long skip = 0; // bytes of the current record's frame still to pass over
        Span<byte> record = stackalloc byte[16];
        var recordHave = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            var at = 0;
            while (at < read)
            {
                if (skip > 0)
                {
                    var passed = (int)Math.Min(skip, read - at);
                    skip -= passed;
                    at += passed;
                    continue;
                }
                var take = Math.Min(16 - recordHave, read - at);
                buffer.AsSpan(at, take).CopyTo(record[recordHave..]);
                recordHave += take;
                at += take;
                if (recordHave == 16)
                {
                    packets++;
                    skip = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
                    recordHave = 0;
                }
            }
        }
        return packets;
    }
}
