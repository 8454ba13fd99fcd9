using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Evidence;
using PoolDetector.Core.Flows;

namespace PoolDetector.Tests.Evidence;

/// <summary>The recent-packet store: what a detection finds of its flow's past, across the ring's wrap, its byte bound and its age bound.</summary>
public sealed class RecentPacketStoreTests
{
    private static readonly FlowKey FlowA = FlowKey.Create(EvidenceFrames.Client, 40000, EvidenceFrames.Server, 3333, TransportProtocol.Tcp, 0, 0);
    private static readonly FlowKey FlowB = FlowKey.Create(EvidenceFrames.Client, 40001, EvidenceFrames.Server, 3333, TransportProtocol.Tcp, 0, 0);

    private sealed class Collector : IFrameSink
    {
        public List<(LinkType Link, byte[] Frame, long Micros)> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => Frames.Add((linkType, frame.ToArray(), timestampMicros));
    }

    [Fact]
    public void A_scan_gives_the_flows_frames_both_ways_in_order_and_nothing_else()
    {
        var store = new RecentPacketStore(1 << 20, TimeSpan.FromMinutes(1));
        var expected = new List<byte[]>();
        for (var i = 0; i < 50; i++)
        {
            var a = EvidenceFrames.Tcp(40000, 3333, fromClient: i % 3 != 0, payload: i, fill: (byte)i);
            var b = EvidenceFrames.Tcp(40001, 3333, fromClient: true, payload: 10, fill: 0xEE);
            store.Record(LinkType.Ethernet, a, 1_000_000 + i);
            store.Record(LinkType.Ethernet, b, 1_000_000 + i);
            store.Record(LinkType.Ethernet, [1, 2, 3], 1_000_000 + i); // not IP: never matches
            expected.Add(a);
        }
        var found = new Collector();
        Assert.Equal(50, store.Scan(FlowA, 0, found));
        Assert.Equal(expected, found.Frames.Select(f => f.Frame));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 1_000_000L + i), found.Frames.Select(f => f.Micros));
        Assert.All(found.Frames, f => Assert.Equal(LinkType.Ethernet, f.Link));
        Assert.Equal(150, store.Frames);
        Assert.Equal(0, store.Evicted + store.Expired);
    }

    [Fact]
    public void Frames_before_the_flows_start_belong_to_an_earlier_connection_and_are_left_out()
    {
        var store = new RecentPacketStore(1 << 20, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 10; i++)
        {
            store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 5, (byte)i), 1_000_000 + (i * 1000));
        }
        var found = new Collector();
        Assert.Equal(4, store.Scan(FlowA, 1_006_000, found));
        Assert.Equal(new long[] { 1_006_000, 1_007_000, 1_008_000, 1_009_000 }, found.Frames.Select(f => f.Micros));
    }

    [Fact]
    public void A_full_ring_lets_the_oldest_go_counted_and_keeps_the_rest_intact_across_the_wrap()
    {
        // 4 KiB: a few dozen frames of varied sizes, wrapping many times.
        var store = new RecentPacketStore(4096, TimeSpan.FromHours(1));
        var recorded = new List<(byte[] Frame, long Micros)>();
        for (var i = 0; i < 2000; i++)
        {
            var frame = EvidenceFrames.Tcp(i % 2 == 0 ? (ushort)40000 : (ushort)40001, 3333, i % 4 < 2, payload: (i * 37) % 300, fill: (byte)i);
            store.Record(LinkType.Ethernet, frame, 1_000_000 + i);
            recorded.Add((frame, 1_000_000 + i));
        }
        Assert.Equal(2000, store.Stored);
        Assert.Equal(2000 - store.Frames, store.Evicted);
        Assert.True(store.Frames is > 5 and < 100, $"{store.Frames} frames held");
        Assert.True(store.BytesHeld <= store.CapacityBytes);

        // What is held is exactly the newest frames, byte for byte.
        var held = recorded.TakeLast(store.Frames).ToList();
        var found = new Collector();
        store.Scan(FlowA, 0, found);
        Assert.Equal(held.Where((f, i) => (recorded.Count - store.Frames + i) % 2 == 0).Select(f => f.Frame), found.Frames.Select(f => f.Frame));
        var foundB = new Collector();
        store.Scan(FlowB, 0, foundB);
        Assert.Equal(store.Frames, found.Frames.Count + foundB.Frames.Count);
    }

    [Fact]
    public void Frames_older_than_the_age_limit_expire()
    {
        var store = new RecentPacketStore(1 << 20, TimeSpan.FromSeconds(10));
        for (var second = 0; second < 30; second++)
        {
            store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 5, 1), second * 1_000_000L);
        }
        // Held: seconds 19..29 (within 10 s of the newest).
        Assert.Equal(11, store.Frames);
        Assert.Equal(19, store.Expired);
        Assert.Equal(0, store.Evicted);
        // A frame stamped in the past (another interface's clock) does not turn age around.
        store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 5, 1), 0);
        Assert.Equal(12, store.Frames);
    }

    [Fact]
    public void A_frame_larger_than_the_ring_is_counted_and_not_stored()
    {
        var store = new RecentPacketStore(1024, TimeSpan.FromSeconds(10));
        store.Record(LinkType.Ethernet, new byte[2000], 1);
        Assert.Equal(1, store.TooLarge);
        Assert.Equal(0, store.Frames);
        // A frame that needs the whole ring empties it and starts at its beginning.
        store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 5, 1), 2);
        store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 1024 - 16 - 54, 2), 3);
        Assert.Equal(1, store.Frames);
        var found = new Collector();
        Assert.Equal(1, store.Scan(FlowA, 0, found));
        Assert.Equal(3, found.Frames[0].Micros);
    }
}
