using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>
/// All interfaces' rings and the engine's wake-up. Capture threads never wait here: a
/// full ring is a drop the caller counts. The engine sleeps only when every ring is empty.
/// </summary>
internal sealed class FrameHandOff : IDisposable
{
    private readonly FrameRing[] _rings;
    private readonly ManualResetEventSlim _frames = new(initialState: false, spinCount: 0);

    public FrameHandOff(int interfaces, int capacityBytesPerInterface, int maxFramesPerInterface)
    {
        _rings = new FrameRing[interfaces];
        for (var i = 0; i < interfaces; i++)
        {
            _rings[i] = new FrameRing(capacityBytesPerInterface, maxFramesPerInterface);
        }
    }

    /// <summary>Capture thread of interface <paramref name="index"/>: copies the frame in, or returns false (full).</summary>
    public bool TryWrite(int index, LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        if (!_rings[index].TryWrite(linkType, frame, timestampMicros))
        {
            return false;
        }
        // Only a sleeping engine needs the (system call) wake-up; a busy one polls. The
        // fence orders the ring's publish before the read of the event (the engine does
        // the mirror image: reset, then look at the rings), so no wake-up is lost.
        Interlocked.MemoryBarrier();
        if (!_frames.IsSet)
        {
            _frames.Set();
        }
        return true;
    }

    /// <summary>Engine thread: up to <paramref name="maxPerInterface"/> frames from each interface in turn.</summary>
    public int Drain(IFrameSink sink, int maxPerInterface)
    {
        var total = 0;
        foreach (var ring in _rings)
        {
            total += ring.Drain(sink, maxPerInterface);
        }
        return total;
    }

    /// <summary>Engine thread: sleeps until a frame arrives, <see cref="Wake"/> is called or the timeout passes.</summary>
    public void WaitForFrames(TimeSpan timeout)
    {
        _frames.Reset();
        // A frame written between the last drain and the reset found the event still set
        // and did not signal: look again before sleeping.
        foreach (var ring in _rings)
        {
            if (ring.HasFrames)
            {
                return;
            }
        }
        _frames.Wait(timeout);
    }

    /// <summary>Wakes the engine for work that is not a frame (a rules reload, shutdown).</summary>
    public void Wake() => _frames.Set();

    public void Dispose() => _frames.Dispose();
}
