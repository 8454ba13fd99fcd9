using System.Buffers.Binary;

namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>Link-layer header types of the classic pcap format (tcpdump.org/linktypes.html).</summary>
internal enum PcapLinkType : uint
{
    Ethernet = 1,
    RawIp = 101,
    LinuxCookedV1 = 113,
}

/// <summary>
/// Writes the classic pcap format: little-endian magic 0xa1b2c3d4, version 2.4, microsecond
/// timestamps. Deliberately tiny: the generated corpus must be byte-for-byte reproducible, so
/// nothing here depends on the clock, the host or a native library.
/// </summary>
internal sealed class PcapWriter
{
    public const int SnapLength = 262144;

    private readonly Stream _stream;

    public PcapWriter(Stream stream, PcapLinkType linkType)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);   // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>Appends one frame, stamped with microseconds since the Unix epoch.</summary>
    public void WritePacket(long unixMicroseconds, ReadOnlySpan<byte> frame)
    {
        if (frame.Length > SnapLength)
        {
            throw new ArgumentException("frame longer than the snap length", nameof(frame));
        }
        Span<byte> record = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(unixMicroseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(unixMicroseconds % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
        _stream.Write(record);
        _stream.Write(frame);
    }
}
