using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Daemon;

public sealed class FrameRingTests
{
    private sealed class Collector : IFrameSink
    {
        public List<(LinkType LinkType, byte[] Frame, long Timestamp)> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
            Frames.Add((linkType, frame.ToArray(), timestampMicros));
    }

    private sealed class Discard : IFrameSink
    {
        public long Bytes;

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => Bytes += frame.Length;
    }

    [Fact]
    public void Frames_ComeOut_InOrder_AcrossTheWrap()
    {
        var ring = new FrameRing(1024, 1000);
        var collector = new Collector();
        var expected = new List<byte[]>();
        for (var i = 0; i < 200; i++)
        {
            var frame = new byte[1 + (i * 37 % 300)];
            Array.Fill(frame, (byte)i);
            Assert.True(ring.TryWrite(LinkType.Ethernet, frame, i));
            expected.Add(frame);
            if (i % 2 == 1)
            {
                ring.Drain(collector, 10);
            }
        }
        ring.Drain(collector, int.MaxValue);
        Assert.Equal(expected.Count, collector.Frames.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], collector.Frames[i].Frame);
            Assert.Equal(i, collector.Frames[i].Timestamp);
        }
    }

    [Fact]
    public void Full_Ring_Refuses_Then_Accepts_Once_Drained()
    {
        var ring = new FrameRing(4096, 3);
        var frame = new byte[100];
        Assert.True(ring.TryWrite(LinkType.Ethernet, frame, 1));
        Assert.True(ring.TryWrite(LinkType.Ethernet, frame, 2));
        Assert.True(ring.TryWrite(LinkType.Ethernet, frame, 3));
        Assert.False(ring.TryWrite(LinkType.Ethernet, frame, 4)); // frame cap
        Assert.False(new FrameRing(1024, 100).TryWrite(LinkType.Ethernet, new byte[2000], 1)); // byte cap
        Assert.Equal(1, ring.Drain(new Collector(), 1));
        Assert.True(ring.TryWrite(LinkType.Ethernet, frame, 5));
    }

    [Fact]
    public void SteadyState_Allocates_Nothing()
    {
        var ring = new FrameRing(64 * 1024, 1024);
        var sink = new Discard();
        var frame = new byte[1500];
        for (var i = 0; i < 1000; i++)
        {
            ring.TryWrite(LinkType.Ethernet, frame, i);
            ring.Drain(sink, 1);
        }
        const int batches = 3, framesPerBatch = 100_000;
        var allocated = Allocations.LeastOver(batches, () =>
        {
            for (var i = 0; i < framesPerBatch; i++)
            {
                ring.TryWrite(LinkType.Ethernet, frame, i);
                ring.Drain(sink, 1);
            }
        });
        Assert.Equal(0, allocated);
        Assert.Equal(1500L * (1000 + (batches * framesPerBatch)), sink.Bytes);
    }
}
