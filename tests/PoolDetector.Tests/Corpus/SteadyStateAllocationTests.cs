using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// The per-packet path allocates nothing once flows are established. Flows allocate when
/// they start (pooled objects the first time), when a miner's agent or worker is first
/// read, and when they end with a detection; packets in between must not.
/// </summary>
public class SteadyStateAllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Long sessions of three dialects plus a binary flow, interleaved: after the first half
    /// (warm-up), thousands of jobs, shares and replies go through reassembly,
    /// framing, JSON scanning and share counting without one byte allocated.
    /// </summary>
    [Fact]
    public void Long_mining_sessions_allocate_nothing_per_packet()
    {
        // Half the session warms up: pools filled, code paths tiered up by the JIT.
        var (frames, warmUp) = SteadyStateCapture.Build(rounds: 2000, warmUpRound: 1000);

        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), new CaptureRunner.CollectingSink());
        var next = 0;
        void PlayUpTo(int end)
        {
            for (; next < end; next++)
            {
                engine.ProcessFrame(frames[next].Link, frames[next].Frame, frames[next].Micros);
            }
        }
        PlayUpTo(warmUp);
        var messagesBefore = engine.InspectionCounters.JsonMessages;
        // The capture plays once, so the batches are consecutive slices of the measured half, the
        // last ending at the last frame. Each slice carries hundreds of jobs, shares and replies
        // of every dialect: an allocation per packet shows in all of them.
        const int slices = 4;
        var packets = frames.Count - warmUp;
        var allocated = Allocations.LeastOverSlices(slices, packets, end => PlayUpTo(warmUp + end));
        var messages = engine.InspectionCounters.JsonMessages - messagesBefore;

        output.WriteLine($"{packets} packets, {messages} JSON messages measured in {slices} slices: {allocated} bytes allocated in the least");
        Assert.Equal(frames.Count, next);
        Assert.True(messages >= 6 * 1000, $"expected the measured packets to carry mining messages, got {messages}");
        Assert.Equal(0, allocated);

        engine.Finish();
    }

    /// <summary>
    /// The same sessions as analyze reads them: from a pcap file through the managed reader
    /// straight into the engine, every frame a span into its buffer, refilled several times while
    /// measured. Reading adds nothing per packet either: the least allocated in any slice of the
    /// measured half is zero.
    /// </summary>
    [Fact]
    public void Reading_a_capture_with_the_managed_reader_into_the_engine_allocates_nothing_per_packet()
    {
        var (capture, warmUp) = SteadyStateCapture.BuildCapture(rounds: 10_000, warmUpRound: 5_000);
        using var directory = new Cli.TempDirectory();
        var path = directory.File("steady.pcap", capture.ToPcap());
        const int slices = 2;
        // Every slice of the measured half spans more than a buffer, so each includes a refill.
        Assert.True(new FileInfo(path).Length / 2 / slices > ManagedPcapReader.BufferBytes, $"{new FileInfo(path).Length} bytes: the reader must refill its buffer in every measured slice");
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), new CaptureRunner.CollectingSink());
        // The last boundary must be a frame that exists: the slices end before the last frame.
        var sink = new SlicingSink(engine, warmUp, (capture.PacketCount - warmUp - 1) / slices, slices);

        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        CaptureReadResult result;
        using (reader)
        {
            Assert.False(reader.UsesLibpcap);
            result = reader.ReadAll(sink);
        }

        output.WriteLine($"{result.Packets} packets read by the managed reader; the slices after frame {warmUp} allocated {string.Join(", ", sink.Allocated)} bytes");
        Assert.True(result.Complete);
        Assert.Equal(capture.PacketCount, result.Packets);
        Assert.True(engine.InspectionCounters.JsonMessages >= 6 * 10_000, $"expected mining messages in every round, got {engine.InspectionCounters.JsonMessages}");
        Assert.Equal(slices, sink.Measured);
        Assert.Equal(0, sink.Allocated.Min());
        engine.Finish();
    }

    /// <summary>Hands each frame to the engine and notes the bytes allocated on this thread at each slice boundary, into memory allocated up front.</summary>
    private sealed class SlicingSink(Engine engine, int start, int sliceLength, int slices) : IFrameSink
    {
        private long _mark;
        private int _frames;

        public long[] Allocated { get; } = new long[slices];

        public int Measured { get; private set; }

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            var index = _frames - start;
            if (index >= 0 && index % sliceLength == 0 && index / sliceLength <= slices)
            {
                var now = GC.GetAllocatedBytesForCurrentThread();
                if (index > 0)
                {
                    Allocated[(index / sliceLength) - 1] = now - _mark;
                    Measured++;
                }
                _mark = now;
            }
            engine.ProcessFrame(linkType, frame, timestampMicros);
            _frames++;
        }
    }
}

