using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Tests.Corpus;
using PoolDetector.Testing;
using Xunit.Abstractions;
using static PoolDetector.Tests.Hostile.HostileHarness;

namespace PoolDetector.Tests.Hostile;

[CollectionDefinition(nameof(FloodTests), DisableParallelization = true)]
public sealed class FloodTestsCollection;

/// <summary>
/// Issue 8, floods: hostile volume streamed packet by packet into the real engine (decode →
/// flow table → inspectors → detector) next to a real miner's capture from pcaps/, which must
/// still be reported exactly as its golden file says. Nothing is built whole: each flood
/// frame is written into one reused buffer. Run alone (no parallel tests) because the heap
/// bounds read the whole process's managed heap.
/// </summary>
[Collection(nameof(FloodTests))]
public class FloodTests(ITestOutputHelper output)
{
    private const string Xmrig = "xmrig-login-job-submit.pcap";
    private const string StratumIpv6 = "stratum-v1-npm-ipv6.pcap";
    private const string Stratum = "stratum-v1-npm.pcap";
    private const int Mss = 1448;

    /// <summary>
    /// SYN flood: 2,000,000 SYNs, each from its own (address, port) in 10.0.0.0/8 (scattered but
    /// the same on every run), at MaxFlows 65,536, spread over the 64 s of the XMRig capture
    /// (31,000 SYNs/s; the miner sends a job or keepalive every few seconds and carried payload
    /// from its first second). Bounds: active flows never above 65,536; capacity evictions are
    /// exactly flows created − 65,536 − flows ended otherwise, and every one of them a flow
    /// without payload; managed heap growth with the table full under 65,536 × 3,000 B (the
    /// README's bytes per flow) = 188 MiB, whatever the number of SYNs; the miner reported
    /// exactly as pcaps/expected says (wallet, agent, shares, flow counts).
    /// </summary>
    [Fact]
    public void Syn_flood_of_two_million_flows_stays_under_the_cap_and_the_quiet_miner_is_still_reported()
    {
        const int maxFlows = 65_536;
        const int syns = 2_000_000;
        const long maxHeapGrowth = maxFlows * 3_000L;
        var miner = Flood.Capture(Xmrig);
        var alone = Flood.Alone(miner, out var aloneDetections);
        var writer = new SegmentWriter("10.0.0.1", 1024, "203.0.113.80", 80);
        var synLength = writer.Segment(fromClient: true, TcpFlags.Syn, 0x1000, 0, []).Length;

        var heapBefore = Flood.HeapAfterFullGc();
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions { Flows = { MaxFlows = maxFlows } }, sink);
        var peak = 0;
        var clock = Stopwatch.StartNew();
        Flood.Interleave(engine, miner, syns, i =>
        {
            // An odd multiplier permutes 32-bit values: every SYN gets its own (address, port).
            var h = (uint)i * 0x9E3779B1u;
            return writer.WithSource(0x0A000000u | (h >> 8), (ushort)(1024 + (h & 0xFF)), synLength);
        }, () => peak = Math.Max(peak, engine.ActiveFlows));
        clock.Stop();
        var heapGrowth = Flood.HeapAfterFullGc() - heapBefore;

        var flows = engine.FlowCounters;
        output.WriteLine($"{syns:N0} SYNs + {miner.Count} miner frames in {clock.ElapsedMilliseconds:N0} ms; peak {peak:N0} flows; "
            + $"{flows.FlowsEvictedCapacity:N0} evicted ({flows.FlowsEvictedWithoutPayload:N0} without payload); heap +{heapGrowth:N0} B");
        Assert.True(peak <= maxFlows, $"{peak} flows active, cap {maxFlows}");
        Assert.Equal(maxFlows, engine.ActiveFlows);
        Assert.Equal(alone.FlowCounters.FlowsCreated + syns, flows.FlowsCreated);
        var endedOtherwise = flows.FlowsEndedFin + flows.FlowsEndedReset + flows.FlowsEndedIdle + flows.FlowsEndedEndOfInput;
        Assert.Equal(flows.FlowsCreated - maxFlows - endedOtherwise, flows.FlowsEvictedCapacity);
        Assert.Equal(flows.FlowsEvictedCapacity, flows.FlowsEvictedWithoutPayload);
        Assert.Equal(alone.Counters.Decoded + syns, engine.Counters.Decoded);
        Assert.True(heapGrowth < maxHeapGrowth, $"managed heap grew {heapGrowth:N0} B with the table full, bound {maxHeapGrowth:N0}");

        engine.Finish();
        Assert.Equal(aloneDetections.Count, sink.Detections.Count);
        Flood.AssertGolden(Xmrig, sink.Detections);
    }

    /// <summary>
    /// 1,000,000 fragments, alternately IPv4 (first fragments with MF, and last fragments at
    /// offset 1480) and IPv6 (fragment header, same two kinds), each from its own source and
    /// datagram id, spread over the IPv6 Stratum capture. Bounds: every one counted as
    /// <see cref="DecodeStatus.Fragment"/> and nothing else changes (decoded = the capture's);
    /// the run allocates under 64 KB more than the capture alone (0.07 B per fragment: nothing
    /// per fragment, no reassembly state); the miner reported as pcaps/expected says.
    /// </summary>
    [Fact]
    public void A_million_fragments_are_each_counted_allocate_nothing_and_the_miner_is_still_reported()
    {
        const int fragments = 1_000_000;
        const long maxExtraAllocation = 64 * 1024;
        var miner = Flood.Capture(StratumIpv6);
        var v4 = Ipv4Fragment();
        var v6 = Ipv6Fragment();
        ReadOnlySpan<byte> Fragment(long i)
        {
            var last = ((i >> 1) & 1) != 0;
            var id = (uint)(i >> 1) * 0x9E3779B1u;
            if ((i & 1) == 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(14 + 4), (ushort)id);
                BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(14 + 6), last ? (ushort)(1480 / 8) : (ushort)0x2000);
                BinaryPrimitives.WriteUInt32BigEndian(v4.AsSpan(14 + 12), 0xC6120000u | (id >> 16)); // 198.18.0.0/15
                return v4;
            }
            BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(14 + 40 + 2), last ? (ushort)1480 : (ushort)1);
            BinaryPrimitives.WriteUInt32BigEndian(v6.AsSpan(14 + 40 + 4), id);
            BinaryPrimitives.WriteUInt32BigEndian(v6.AsSpan(14 + 8 + 12), id);
            return v6;
        }

        (Engine Engine, CaptureRunner.CollectingSink Sink, long Allocated) Play(long count)
        {
            var sink = new CaptureRunner.CollectingSink();
            var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
            var allocated = Allocations.During(() =>
            {
                Flood.Interleave(engine, miner, count, Fragment);
                engine.Finish();
            });
            return (engine, sink, allocated);
        }

        Play(1_000); // compiles the path; the runtime's one-off allocations land here
        var alone = Play(0);
        var clock = Stopwatch.StartNew();
        var flood = Play(fragments);
        clock.Stop();

        output.WriteLine($"{fragments:N0} fragments in {clock.ElapsedMilliseconds:N0} ms; {flood.Allocated:N0} B allocated, {alone.Allocated:N0} B for the capture alone");
        var counters = flood.Engine.Counters;
        Assert.Equal(fragments, counters.NotDecoded[(int)DecodeStatus.Fragment]);
        Assert.Equal(alone.Engine.Counters.Decoded, counters.Decoded);
        Assert.Equal(alone.Engine.Counters.Frames + fragments, counters.Frames);
        Assert.Equal(counters.Frames, counters.Decoded + counters.NotDecoded.Sum());
        Assert.True(flood.Allocated - alone.Allocated < maxExtraAllocation,
            $"{flood.Allocated - alone.Allocated:N0} B allocated for {fragments:N0} fragments, bound {maxExtraAllocation:N0}");
        Assert.Equal(alone.Sink.Detections.Count, flood.Sink.Detections.Count);
        Flood.AssertGolden(StratumIpv6, flood.Sink.Detections);
    }

    /// <summary>
    /// A mining proxy's pool connection that never ends: 2 GiB of mining.notify lines from the
    /// pool in 1448-byte segments (its sequence numbers wrap past 2^32 64 KiB into the stream), with, in every block of 64 segments, two segments swapped and one retransmitted;
    /// every fourth block loses a segment that nobody acknowledges (the window fills and the
    /// hole is skipped) and every fourth another that the miner acknowledges (skipped at the
    /// ACK). Beside it, the XMRig capture. Bounds: bytes held out of order never above
    /// MaxBufferedBytesPerDirection (16 KiB) and reaching exactly MaxBufferedSegmentsPerDirection
    /// (8) segments; under 1 MiB allocated for the whole run; packet and byte counters of the
    /// flow, gaps, gap bytes, out-of-order and retransmitted bytes exactly what was sent; the
    /// session reported (stratum-v1, wallet.rig1) and the XMRig miner as pcaps/expected says.
    /// </summary>
    [Fact]
    public void Flow_that_never_ends_carries_gigabytes_with_holes_and_stays_within_the_buffer_caps()
    {
        const long streamBytes = 2L << 30;
        const int segmentsPerBlock = 64;
        const long maxAllocation = 1024 * 1024;
        var options = new FlowTableOptions();
        var miner = Flood.Capture(Xmrig);
        var alone = Flood.Alone(miner, out _);

        // The pool's side: mining.notify lines over and over, cut at segment boundaries without
        // regard for line ends, as a pool's socket writes them.
        var pattern = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 7).Select(Notify)));
        var repeated = new byte[(pattern.Length * 2) + Mss];
        for (var at = 0; at < repeated.Length; at += pattern.Length)
        {
            pattern.AsSpan(0, Math.Min(pattern.Length, repeated.Length - at)).CopyTo(repeated.AsSpan(at));
        }
        ReadOnlySpan<byte> Bytes(long offset) => repeated.AsSpan((int)(offset % pattern.Length), Mss);

        // One block's packets: a server segment's index in the block, or -1 for the miner's ACK.
        List<int> BlockPlan(int kind)
        {
            var plan = new List<int>();
            for (var k = 0; k < segmentsPerBlock; k++)
            {
                if (k == 10) { plan.Add(11); plan.Add(10); k++; continue; } // swapped: 11 is held until 10 comes
                if ((kind == 1 && k == 30) || (kind == 3 && k == 40)) { continue; } // lost by the capture
                plan.Add(k);
                if (k == 22) { plan.Add(20); } // retransmitted
                if (kind == 3 && k == 44) { plan.Add(-1); } // the miner got segment 40: its ACK covers the hole
            }
            plan.Add(-1);
            return plan;
        }
        var cycle = Enumerable.Range(0, 4).SelectMany(kind => BlockPlan(kind).Select(k => (Block: kind, Segment: k))).ToArray();
        var ackAfterHole = Array.IndexOf(cycle, (3, -1)); // block 3's first ACK: up to the end of segment 44
        var cycleBytes = 4L * segmentsPerBlock * Mss;
        var cycles = streamBytes / cycleBytes;
        var packets = cycles * cycle.Length;

        var writer = new SegmentWriter("192.0.2.80", 45000, "203.0.113.80", 3333);
        var session = new StreamedSession(writer, clientIsn: 7_000, serverIsn: 0xFFFF_0000);
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions { Flows = options }, sink);
        var start = miner[0].Micros - 1_000;
        session.Handshake(engine, start);
        var micros = session.Send(engine, start + 10, fromClient: true, Subscribe);
        micros = session.Send(engine, micros, fromClient: false, SubscribeReply);
        micros = session.Send(engine, micros, fromClient: true, Authorize);
        session.Send(engine, micros, fromClient: false, AuthorizeReply, SetDifficulty);
        var clientBytes = (long)(session.ClientNext - 7_001);
        var openingServerBytes = session.ServerNext - 0xFFFF_0001u;
        var streamStart = session.ServerNext;
        const int clientPacketsBefore = 6; // SYN, ACK, subscribe, ACK of the reply, authorize, ACK of reply and difficulty
        const int serverPacketsBefore = 6; // SYN+ACK, ACK of subscribe, reply, ACK of authorize, reply, difficulty

        long serverPackets = 0, serverBytes = 0, clientPackets = 0;
        ReadOnlySpan<byte> Packet(long i)
        {
            var (block, k) = cycle[i % cycle.Length];
            var blockStart = ((i / cycle.Length * 4) + block) * segmentsPerBlock * (long)Mss;
            if (k < 0)
            {
                clientPackets++;
                // Everything up to the end of the last segment sent so far.
                var sentUpTo = blockStart + (i % cycle.Length == ackAfterHole ? 45L : segmentsPerBlock) * Mss;
                return session.Ack(fromClient: true, streamStart + (uint)sentUpTo);
            }
            serverPackets++;
            serverBytes += Mss;
            var offset = blockStart + ((long)k * Mss);
            return session.At(fromClient: false, streamStart + (uint)offset, Bytes(offset));
        }

        long peakBuffered = 0;
        var clock = Stopwatch.StartNew();
        var allocated = Allocations.During(() =>
        {
            Flood.Interleave(engine, miner, packets, Packet, () => peakBuffered = Math.Max(peakBuffered, engine.BufferedBytes));
            engine.Finish();
        });
        clock.Stop();

        var flows = engine.FlowCounters;
        output.WriteLine($"{cycles * cycleBytes:N0} B in {packets:N0} packets in {clock.ElapsedMilliseconds:N0} ms; "
            + $"{allocated:N0} B allocated; peak {peakBuffered:N0} B held out of order; {flows.Gaps} gaps, {flows.OutOfOrderSegments:N0} out-of-order segments");
        Assert.Equal(options.MaxBufferedSegmentsPerDirection * (long)Mss, peakBuffered);
        Assert.True(peakBuffered <= options.MaxBufferedBytesPerDirection);
        Assert.True(allocated < maxAllocation, $"{allocated:N0} B allocated, bound {maxAllocation:N0}");

        var af = alone.FlowCounters;
        Assert.Equal(cycles * 2, flows.Gaps - af.Gaps);
        Assert.Equal(cycles, flows.GapsWindowFull - af.GapsWindowFull);
        Assert.Equal(cycles, flows.GapsAcked - af.GapsAcked);
        Assert.Equal(cycles * 2 * Mss, flows.GapBytes - af.GapBytes);
        // Per cycle: four swaps (one held segment each), 8 segments behind the first hole, 4 behind the second.
        Assert.Equal(cycles * (4 + options.MaxBufferedSegmentsPerDirection + 4), flows.OutOfOrderSegments - af.OutOfOrderSegments);
        Assert.Equal(cycles * 4 * Mss, flows.RetransmittedBytes - af.RetransmittedBytes);

        var proxy = Assert.Single(sink.Detections, d => d.MinerPort == 45000);
        Assert.Equal("stratum-v1", proxy.Dialect);
        Assert.Equal("wallet.rig1", proxy.Worker);
        Assert.Contains("mining.notify", proxy.Evidence);
        Assert.Equal(openingServerBytes + serverBytes, proxy.BytesToClient);
        Assert.Equal(serverPacketsBefore + serverPackets, proxy.PacketsToClient);
        Assert.Equal(clientBytes, proxy.BytesToServer);
        Assert.Equal(clientPacketsBefore + clientPackets, proxy.PacketsToServer);
        Assert.True(serverBytes > streamBytes - cycleBytes, "gigabytes went through");
        Flood.AssertGolden(Xmrig, sink.Detections);
    }

    /// <summary>
    /// A 100 MiB line without a newline inside a Stratum session that already subscribed
    /// (streamed in 1448-byte segments, never held whole), then the newline, an authorize and
    /// three accepted shares; the Stratum V1 capture beside it. Bounds: counted once in
    /// LinesTooLong; under 1 MiB allocated for the run (nothing grows with the line: the 10 MB
    /// line of <see cref="OverlongInputTests"/> stays under 2 MB too); the session's evidence
    /// and its 3 shares submitted and accepted; the capture's miner as pcaps/expected says.
    /// </summary>
    [Fact]
    public void Hundred_megabyte_line_is_counted_once_within_bounded_memory_and_the_session_resumes_after_it()
    {
        const long lineBytes = 100L << 20;
        const long maxAllocation = 1024 * 1024;
        var miner = Flood.Capture(Stratum);
        var segments = (lineBytes + Mss - 1) / Mss;
        var filler = new byte[Mss];
        filler.AsSpan().Fill((byte)'A');
        var head = Encoding.UTF8.GetBytes("{\"id\":7,\"method\":\"mining.subscribe\",\"params\":[\"");
        var first = (byte[])filler.Clone();
        head.CopyTo(first, 0);

        var writer = new SegmentWriter("192.0.2.81", 40201, "203.0.113.81", 3333);
        var session = new StreamedSession(writer, clientIsn: 1_000, serverIsn: 2_000);
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
        var clock = Stopwatch.StartNew();
        var allocated = Allocations.During(() =>
        {
            var start = miner[0].Micros - 1_000;
            session.Handshake(engine, start);
            var micros = session.Send(engine, start + 10, fromClient: true, Subscribe);
            session.Send(engine, micros, fromClient: false, SubscribeReply);
            Flood.Interleave(engine, miner, segments, i =>
            {
                var length = i == segments - 1 ? (int)(lineBytes - (i * Mss)) : Mss;
                return session.Next(fromClient: true, (i == 0 ? first : filler).AsSpan(0, length));
            });
            micros = miner[^1].Micros + 1_000;
            micros = session.Send(engine, micros, fromClient: true, "\n" + Authorize);
            micros = session.Send(engine, micros, fromClient: false, AuthorizeReply, Notify(2));
            for (var share = 0; share < 3; share++)
            {
                micros = session.Send(engine, micros, fromClient: true, Submit(10 + share, 2));
                micros = session.Send(engine, micros, fromClient: false, ShareReply(10 + share));
            }
            session.Close(engine, micros);
            engine.Finish();
        });
        clock.Stop();

        var counters = engine.InspectionCounters;
        output.WriteLine($"{lineBytes:N0} B line in {segments:N0} segments, {clock.ElapsedMilliseconds:N0} ms, {allocated:N0} B allocated");
        Assert.Equal(1, counters.LinesTooLong);
        Assert.Equal(0, counters.DirectionsAbandoned);
        Assert.True(allocated < maxAllocation, $"{allocated:N0} B allocated over a {lineBytes:N0} B line, bound {maxAllocation:N0}");
        var resumed = Assert.Single(sink.Detections, d => d.MinerPort == 40201);
        Assert.Equal(["mining.subscribe", "agent:cgminer", "mining.subscribe:reply", "mining.authorize", "mining.authorize:reply", "mining.notify", "mining.submit", "mining.submit:reply"],
            resumed.Evidence);
        Assert.Equal("wallet.rig1", resumed.Worker);
        Assert.Equal(3, resumed.SharesSubmitted);
        Assert.Equal(3, resumed.SharesAccepted);
        Assert.Equal(lineBytes + Subscribe.Length + 1 + Authorize.Length + (3 * Submit(10, 2).Length), resumed.BytesToServer);
        Flood.AssertGolden(Stratum, sink.Detections);
    }

    /// <summary>Ethernet + IPv4 (UDP, 24 bytes of data); fragment fields, id and source set per packet.</summary>
    private static byte[] Ipv4Fragment()
    {
        var frame = new byte[14 + 20 + 24];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 2), 20 + 24);
        frame[14 + 8] = 64;
        frame[14 + 9] = 17;
        new byte[] { 192, 0, 2, 99 }.CopyTo(frame, 14 + 16);
        return frame;
    }

    /// <summary>Ethernet + IPv6 + fragment header (UDP, 24 bytes of data); offset, id and source set per packet.</summary>
    private static byte[] Ipv6Fragment()
    {
        var frame = new byte[14 + 40 + 8 + 24];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x86DD);
        frame[14] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), 8 + 24);
        frame[14 + 6] = 44; // fragment header
        frame[14 + 7] = 64;
        frame[14 + 8] = 0x20; // 2001:db8::/32 source, the low 32 bits set per packet
        frame[14 + 9] = 0x01;
        frame[14 + 10] = 0x0d;
        frame[14 + 11] = 0xb8;
        frame[14 + 24] = 0x20;
        frame[14 + 25] = 0x01;
        frame[14 + 26] = 0x0d;
        frame[14 + 27] = 0xb8;
        frame[14 + 39] = 0x63;
        frame[14 + 40] = 17; // next header after the fragment header: UDP
        return frame;
    }
}
