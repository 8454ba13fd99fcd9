using System.Buffers;

namespace PoolDetector.Core.Protocols;

/// <summary>
/// Bytes a framer holds across segments (a partial line, an HTTP head or body): rented from
/// the engine's pool as they grow, and handed back as soon as they are consumed, so idle
/// flows hold no buffer.
/// </summary>
public sealed class PooledBuffer
{
    private byte[]? _array;
    private ArrayPool<byte>? _pool;

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _array is null ? default : _array.AsSpan(0, Length);

    /// <summary>Capacity rented now (0 when nothing is held): what the framer's bound applies to.</summary>
    public int Capacity => _array?.Length ?? 0;

    /// <summary>Appends, growing from <paramref name="pool"/>: to at least <paramref name="minimumRent"/> bytes, at most <paramref name="maximumRent"/>.</summary>
    public void Append(ArrayPool<byte> pool, ReadOnlySpan<byte> data, int minimumRent, int maximumRent)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var needed = Length + data.Length;
        if (_array is null || _array.Length < needed)
        {
            var bigger = pool.Rent(Math.Max(needed, Math.Min(Math.Max(needed * 2, minimumRent), maximumRent)));
            if (_array is not null)
            {
                _array.AsSpan(0, Length).CopyTo(bigger);
                _pool!.Return(_array);
            }
            _array = bigger;
            _pool = pool;
        }
        data.CopyTo(_array.AsSpan(Length));
        Length = needed;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes, keeping the rest; nothing left releases the array.</summary>
    public void Consume(int count)
    {
        if (count >= Length)
        {
            Release();
            return;
        }
        _array.AsSpan(count, Length - count).CopyTo(_array);
        Length -= count;
    }

    /// <summary>Empties the buffer and returns its array to the pool it came from.</summary>
    public void Release()
    {
        if (_array is not null)
        {
            _pool!.Return(_array);
            _array = null;
            _pool = null;
        }
        Length = 0;
    }
}
