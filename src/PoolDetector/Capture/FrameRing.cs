using System.Buffers.Binary;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>
/// The hand-off between one interface's capture thread (the only writer) and the engine
/// thread (the only reader): a preallocated byte ring holding frames back to back, each
/// behind a 16-byte header (length, link type, timestamp). Frames of any size up to the
/// snaplen share the same memory, so a ring of 64 MiB holds a million small ACKs or a
/// thousand jumbo frames, and nothing is allocated per packet. Lock-free: each side owns
/// its position and publishes it with a release write.
/// </summary>
internal sealed class FrameRing
{
    private const int HeaderBytes = 16;
    /// <summary>Written where a record would not fit before the end: the reader jumps to offset 0.</summary>
    private const int WrapMarker = -1;

    private readonly byte[] _buffer;
    private readonly int _maxFrames;
    // Writer-owned.
    private long _writePosition;
    private long _framesWritten;
    // Reader-owned.
    private long _readPosition;
    private long _framesRead;

    /// <param name="capacityBytes">Bytes of frames and headers held at once (rounded down to a multiple of 8).</param>
    /// <param name="maxFrames">Frames held at once, whatever their size.</param>
    public FrameRing(int capacityBytes, int maxFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrames, 1);
        _buffer = ResidentBuffer.Allocate(capacityBytes & ~7);
        _maxFrames = maxFrames;
    }

    public int CapacityBytes => _buffer.Length;

    /// <summary>True when a frame is waiting (reader side).</summary>
    public bool HasFrames => Volatile.Read(ref _writePosition) != _readPosition;

    /// <summary>Copies a frame in; false when the ring is full (the caller counts the drop). Writer thread only.</summary>
    public bool TryWrite(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        var capacity = _buffer.Length;
        var need = HeaderBytes + Align8(frame.Length);
        if (need > capacity || _framesWritten - Volatile.Read(ref _framesRead) >= _maxFrames)
        {
            return false;
        }
        var write = _writePosition;
        var offset = (int)(write % capacity);
        // Records never straddle the end: the tail is skipped (offsets and capacity are
        // multiples of 8, so there is always room for the marker).
        var skip = offset + need > capacity ? capacity - offset : 0;
        if (write + skip + need - Volatile.Read(ref _readPosition) > capacity)
        {
            return false;
        }
        if (skip > 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), WrapMarker);
            offset = 0;
        }
        var record = _buffer.AsSpan(offset, need);
        BinaryPrimitives.WriteInt32LittleEndian(record, frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], (int)linkType);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], timestampMicros);
        frame.CopyTo(record[HeaderBytes..]);
        _framesWritten++;
        // Release: the reader sees the bytes before it sees the new position.
        Volatile.Write(ref _writePosition, write + skip + need);
        return true;
    }

    /// <summary>Hands up to <paramref name="maxFrames"/> frames to <paramref name="sink"/>, in place. Reader thread only.</summary>
    public int Drain(IFrameSink sink, int maxFrames)
    {
        var capacity = _buffer.Length;
        var read = _readPosition;
        var count = 0;
        while (count < maxFrames)
        {
            if (read == Volatile.Read(ref _writePosition))
            {
                break;
            }
            var offset = (int)(read % capacity);
            var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
            if (length == WrapMarker)
            {
                read += capacity - offset;
                continue;
            }
            var linkType = (LinkType)BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset + 4));
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(offset + 8));
            sink.OnFrame(linkType, _buffer.AsSpan(offset + HeaderBytes, length), timestamp);
            read += HeaderBytes + Align8(length);
            count++;
            // The frame has been consumed (the engine copies what it keeps): give its space back.
            Volatile.Write(ref _readPosition, read);
            Volatile.Write(ref _framesRead, _framesRead + 1);
        }
        _readPosition = read;
        return count;
    }

    private static int Align8(int value) => (value + 7) & ~7;
}
