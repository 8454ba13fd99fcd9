using System.Buffers.Binary;

namespace PoolDetector.Capture;

internal enum CaptureFormat
{
    Unknown,
    Pcap,
    PcapNg,
    Compressed,
}

/// <summary>Recognises a file by its first four bytes, before libpcap is asked to open it.</summary>
internal static class CaptureMagic
{
    public static CaptureFormat Classify(ReadOnlySpan<byte> firstBytes)
    {
        if (firstBytes.Length < 4)
        {
            return CaptureFormat.Unknown;
        }
        var magic = BinaryPrimitives.ReadUInt32BigEndian(firstBytes);
        return magic switch
        {
            // Microsecond and nanosecond pcap, in either byte order.
            0xa1b2c3d4 or 0xd4c3b2a1 or 0xa1b23c4d or 0x4d3cb2a1 => CaptureFormat.Pcap,
            // The section header block type is a palindrome, so one value covers both byte orders.
            0x0a0d0d0a => CaptureFormat.PcapNg,
            _ when firstBytes[0] == 0x1f && firstBytes[1] == 0x8b => CaptureFormat.Compressed, // gzip
            0x28b52ffd => CaptureFormat.Compressed, // zstd
            _ when firstBytes[0] == 0xfd && firstBytes[1] == (byte)'7' && firstBytes[2] == (byte)'z' && firstBytes[3] == (byte)'X' => CaptureFormat.Compressed, // xz
            _ when firstBytes[0] == (byte)'B' && firstBytes[1] == (byte)'Z' && firstBytes[2] == (byte)'h' => CaptureFormat.Compressed, // bzip2
            _ => CaptureFormat.Unknown,
        };
    }
}
