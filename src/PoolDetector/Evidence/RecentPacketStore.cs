using System.Buffers.Binary;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Evidence;

/// <summary>
/// The last frames the engine processed, so that a detection's evidence capture can start at
/// the flow's first packet although the verdict comes later: every frame is copied into one
/// preallocated byte ring (frames back to back, each behind a 16-byte header: length, link
/// type, timestamp), at most <c>maxAge</c> of packet time and the ring's bytes. The oldest
/// frames make room: those pushed out before their age are counted as evicted (the ring is too
/// small for the traffic), those that aged out as expired. Frames are not decoded here (the
/// engine just did, and the packet path should not pay twice): <see cref="Scan"/> decodes them,
/// once per detection, only those at or after the flow's first packet. Engine thread only;
/// nothing is allocated per frame.
/// </summary>
internal sealed class RecentPacketStore
{
    private const int HeaderBytes = 16;
    /// <summary>Written where a record would not fit before the end: the record is at offset 0.</summary>
    private const int WrapMarker = -1;

    private readonly byte[] _buffer;
    private readonly long _maxAgeMicros;
    /// <summary>Oldest record and next write position, counted from the start: position % capacity is the offset.</summary>
    private long _head;
    private long _tail;
    private long _newestMicros = long.MinValue;

    /// <param name="capacityBytes">Bytes of frames and headers held (rounded down to a multiple of 8).</param>
    /// <param name="maxAge">Packet time a frame is kept after the newest one.</param>
    public RecentPacketStore(int capacityBytes, TimeSpan maxAge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        _buffer = ResidentBuffer.Allocate(capacityBytes & ~7);
        _maxAgeMicros = maxAge.Ticks / TimeSpan.TicksPerMicrosecond;
    }

    public int CapacityBytes => _buffer.Length;

    /// <summary>Frames held now.</summary>
    public int Frames { get; private set; }

    /// <summary>Bytes of the ring in use now (headers and padding included).</summary>
    public long BytesHeld => _tail - _head;

    // Cumulative counts, written by the engine thread and read by the metrics scrape
    // (aligned 64-bit fields: atomic reads; a scrape a frame behind is fine).
    public long Stored;
    /// <summary>Frames pushed out to make room before they aged out: the ring is too small for the traffic.</summary>
    public long Evicted;
    /// <summary>Frames that aged out (older than the newest by more than the age limit).</summary>
    public long Expired;
    /// <summary>Frames larger than the whole ring, not stored.</summary>
    public long TooLarge;

    /// <summary>Copies a frame in, making room as needed. Engine thread only.</summary>
    public void Record(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        var capacity = _buffer.Length;
        var need = HeaderBytes + Align8(frame.Length);
        if (need > capacity)
        {
            TooLarge++;
            return;
        }
        // Packet time can step back (interfaces interleave, clocks jitter): age is measured from the newest.
        if (timestampMicros > _newestMicros)
        {
            _newestMicros = timestampMicros;
        }
        while (Frames > 0 && HeadTimestamp() < _newestMicros - _maxAgeMicros)
        {
            PopHead();
            Expired++;
        }

        var offset = (int)(_tail % capacity);
        // Records never straddle the end: the tail is skipped (offsets and capacity are
        // multiples of 8, so there is always room for the marker).
        var skip = offset + need > capacity ? capacity - offset : 0;
        while (Frames > 0 && _tail + skip + need - _head > capacity)
        {
            PopHead();
            Evicted++;
        }
        if (Frames == 0)
        {
            // Nothing held: start again at the start of the buffer, no marker needed.
            _tail += skip;
            _head = _tail;
        }
        else if (skip > 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), WrapMarker);
            _tail += skip;
        }
        offset = (int)(_tail % capacity);

        var record = _buffer.AsSpan(offset, need);
        BinaryPrimitives.WriteInt32LittleEndian(record, frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], (int)linkType);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], timestampMicros);
        frame.CopyTo(record[HeaderBytes..]);
        _tail += need;
        Frames++;
        Stored++;
    }

    /// <summary>
    /// Hands <paramref name="sink"/> every frame held of flow <paramref name="key"/> stamped at or after
    /// <paramref name="fromMicros"/> (the flow's first packet: earlier frames with the same tuple belong
    /// to an earlier connection), oldest first. Returns how many. Engine thread only.
    /// </summary>
    public int Scan(FlowKey key, long fromMicros, IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var capacity = _buffer.Length;
        var position = _head;
        var found = 0;
        while (position < _tail)
        {
            var offset = (int)(position % capacity);
            var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
            if (length == WrapMarker)
            {
                position += capacity - offset;
                continue;
            }
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(offset + 8));
            if (timestamp >= fromMicros)
            {
                var linkType = (LinkType)BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset + 4));
                var frame = _buffer.AsSpan(offset + HeaderBytes, length);
                if (EvidenceFlowKey.TryOf(linkType, frame, out var frameKey) && frameKey == key)
                {
                    sink.OnFrame(linkType, frame, timestamp);
                    found++;
                }
            }
            position += HeaderBytes + Align8(length);
        }
        return found;
    }

    private long HeadTimestamp()
    {
        SkipMarker();
        return BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan((int)(_head % _buffer.Length) + 8));
    }

    private void PopHead()
    {
        SkipMarker();
        var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan((int)(_head % _buffer.Length)));
        _head += HeaderBytes + Align8(length);
        Frames--;
    }

    /// <summary>At the head, a wrap marker means the oldest record is at offset 0.</summary>
    private void SkipMarker()
    {
        var offset = (int)(_head % _buffer.Length);
        if (BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset)) == WrapMarker)
        {
            _head += _buffer.Length - offset;
        }
    }

    private static int Align8(int value) => (value + 7) & ~7;
}
