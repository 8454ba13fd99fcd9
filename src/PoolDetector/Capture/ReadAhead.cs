using System.Runtime.ExceptionServices;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>
/// Reads a capture file on a thread of its own, a frame ring ahead of the caller, who hands
/// the frames to the engine: reading (libpcap's buffered reads, a call into it per packet) and
/// analysis overlap on two cores instead of taking turns on one. Nothing is dropped: unlike
/// live capture, a file can wait, so the reader waits for room. Frames reach the sink in file
/// order on the calling thread, so everything downstream (the engine, the outputs) stays
/// single-threaded and gives the same results as reading in line. A file the managed reader
/// reads (<see cref="CaptureFileReader.UsesLibpcap"/> false) is read in line: its copy from the
/// page cache is too little work to hand to another thread and back through a ring.
/// </summary>
internal static class ReadAhead
{
    /// <summary>Frames and their headers held between the two threads; above libpcap's largest snap length (256 KiB).</summary>
    private const int RingBytes = 8 * 1024 * 1024;
    private const int RingFrames = 65_536;
    /// <summary>Frames handed over per drain: the reader gets room back in slices, not all at the end.</summary>
    private const int DrainBatch = 1024;

    /// <summary>Like <see cref="CaptureFileReader.ReadAll"/>: <paramref name="progress"/> is called on the reading thread (the calling one when libpcap is not used).</summary>
    public static CaptureReadResult ReadAll(CaptureFileReader reader, IFrameSink sink, Action<CaptureReadResult>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sink);
        if (!reader.UsesLibpcap)
        {
            // One large read per 2 MiB: a second thread would only add a copy into the ring.
            return reader.ReadAll(sink, progress);
        }
        var ring = new FrameRing(RingBytes, RingFrames);
        var writer = new RingWriter(ring);
        CaptureReadResult result = default;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = reader.ReadAll(writer, progress);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Volatile.Write(ref writer.Finished, true);
            }
        })
        {
            IsBackground = true,
            Name = "capture file reader",
        };
        thread.Start();

        try
        {
            var idle = new SpinWait();
            while (true)
            {
                if (ring.Drain(sink, DrainBatch) > 0)
                {
                    idle.Reset();
                    continue;
                }
                // Finished is published after the last frame: once it is seen, an empty ring is the end.
                if (Volatile.Read(ref writer.Finished) && !ring.HasFrames)
                {
                    break;
                }
                idle.SpinOnce();
            }
        }
        finally
        {
            // Whatever stopped the consumer, the reader must not wait for room forever.
            Volatile.Write(ref writer.Abandoned, true);
            thread.Join();
        }
        failure?.Throw();
        return result;
    }

    private sealed class RingWriter(FrameRing ring) : IFrameSink
    {
        public bool Finished;
        public bool Abandoned;

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            if (frame.Length > RingBytes / 2)
            {
                // libpcap never hands out more than its maximum snap length; a frame this big
                // would never fit the ring, and waiting for room would never end.
                throw new InvalidDataException($"a frame of {frame.Length} bytes, beyond any snap length");
            }
            var full = new SpinWait();
            while (!ring.TryWrite(linkType, frame, timestampMicros))
            {
                if (Volatile.Read(ref Abandoned))
                {
                    throw new OperationCanceledException("the engine stopped taking frames");
                }
                full.SpinOnce();
            }
        }
    }
}
