using System.Buffers.Binary;

namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>
/// The Internet checksum (RFC 1071) of IPv4 headers and of TCP and UDP segments with their
/// pseudo-header (RFC 793, RFC 768; RFC 8200 section 8.1 for IPv6). Span-based and
/// allocation-free, because the benchmark's generator (bench/PoolDetector.Bench, which links
/// this file) computes it for a million packets.
/// </summary>
internal static class InternetChecksum
{
    private const byte UdpProtocol = 17;

    /// <summary>The checksum of an IPv4 header whose checksum field is zero.</summary>
    public static ushort Ipv4Header(ReadOnlySpan<byte> header) => Finish(Add(header, 0));

    /// <summary>
    /// The checksum of a TCP or UDP segment (its checksum field zero) between two addresses of
    /// 4 or 16 bytes. UDP sends a computed 0 as 0xffff (RFC 768: 0 means "no checksum").
    /// </summary>
    public static ushort Transport(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, ReadOnlySpan<byte> segment)
    {
        var sum = Add(source, 0);
        sum = Add(destination, sum);
        sum += protocol + (uint)segment.Length;
        var checksum = Finish(Add(segment, sum));
        return checksum == 0 && protocol == UdpProtocol ? (ushort)0xffff : checksum;
    }

    private static uint Add(ReadOnlySpan<byte> data, uint sum)
    {
        // Four bytes at a time into a 64-bit accumulator, folded once at the end: the same
        // one's-complement sum as 16-bit words (RFC 1071 section 2, "parallel summation").
        ulong wide = sum;
        var i = 0;
        for (; i + 3 < data.Length; i += 4)
        {
            wide += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }
        for (; i + 1 < data.Length; i += 2)
        {
            wide += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            wide += (uint)data[i] << 8;
        }
        while (wide > 0xffff_ffff)
        {
            wide = (wide & 0xffff_ffff) + (wide >> 32);
        }
        return (uint)(wide & 0xffff) + (uint)(wide >> 16);
    }

    private static ushort Finish(uint sum)
    {
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
