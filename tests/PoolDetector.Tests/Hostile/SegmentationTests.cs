using System.Text;
using PoolDetector.Core.Detection;
using PoolDetector.Tests.CaptureGeneration;
using Xunit.Abstractions;
using static PoolDetector.Tests.Hostile.HostileHarness;

namespace PoolDetector.Tests.Hostile;

/// <summary>
/// However TCP cuts, packs, reorders or repeats the bytes of a session, the detection is the
/// one the session gives when each message travels in its own segment.
/// </summary>
public class SegmentationTests(ITestOutputHelper output)
{
    private const int MessagesPerPayload = 500;

    /// <summary>Client: subscribe, authorize and 498 pipelined submits; server: the 500 answers.</summary>
    private static (string[] Client, string[] Server) PipelinedScript()
    {
        var client = new string[MessagesPerPayload];
        var server = new string[MessagesPerPayload];
        client[0] = Subscribe;
        client[1] = Authorize;
        server[0] = SubscribeReply;
        server[1] = AuthorizeReply;
        for (var i = 2; i < MessagesPerPayload; i++)
        {
            client[i] = Submit(100 + i, i);
            server[i] = ShareReply(100 + i);
        }
        return (client, server);
    }

    /// <summary>
    /// 500 Stratum lines in one payload of at most 64 KB each way, against the same 500 lines
    /// one per segment: identical detection (evidence, shares), every message scanned.
    /// </summary>
    [Fact]
    public void Five_hundred_messages_in_one_segment_give_the_same_evidence_as_one_per_segment()
    {
        var (client, server) = PipelinedScript();
        var packedClient = string.Concat(client);
        var packedServer = string.Concat(server);
        Assert.True(Encoding.UTF8.GetByteCount(packedClient) <= 64 * 1024, $"client payload {packedClient.Length} bytes");
        Assert.True(Encoding.UTF8.GetByteCount(packedServer) <= 64 * 1024);

        var packed = NewCapture();
        packed.Tcp("192.0.2.30", 40201, "203.0.113.30", 3333, 1_000, 2_000).Handshake()
            .Client(packedClient).Server(packedServer, Notify(1)).Close();
        var normal = NewCapture();
        normal.Tcp("192.0.2.30", 40201, "203.0.113.30", 3333, 1_000, 2_000).Handshake()
            .Client(client).Server([.. server, Notify(1)]).Close();

        var packedRun = Run(packed);
        var normalRun = Run(normal);

        Assert.Equal(2 * MessagesPerPayload + 1, packedRun.Engine.InspectionCounters.JsonMessages);
        Assert.Equal(normalRun.Engine.InspectionCounters.JsonMessages, packedRun.Engine.InspectionCounters.JsonMessages);
        var expected = Assert.Single(normalRun.Detections);
        var actual = Assert.Single(packedRun.Detections);
        output.WriteLine(Essence(actual));
        Assert.Equal(Essence(expected), Essence(actual));
        Assert.Equal(MessagesPerPayload - 2, actual.SharesSubmitted);
        // Replies are matched to the last PendingRequests.Capacity requests only: 498
        // pipelined submits before any answer leave the oldest unmatched, in both captures.
        Assert.Equal(Core.Protocols.JsonRpc.PendingRequests.Capacity, actual.SharesAccepted);
    }

    /// <summary>A 300-byte subscribe sent one byte per segment reads exactly as the same line in one segment.</summary>
    [Fact]
    public void Message_split_byte_by_byte_over_300_segments_gives_the_same_evidence()
    {
        var prefix = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0 ";
        var suffix = "\"]}\n";
        var line = prefix + new string('x', 300 - prefix.Length - suffix.Length) + suffix;
        Assert.Equal(300, line.Length);

        var split = NewCapture();
        split.Tcp("192.0.2.31", 40202, "203.0.113.31", 3333, 1_000, 2_000).Handshake()
            .Client(TcpSession.Split(line, 300)).Server(SubscribeReply).Client(Authorize).Server(AuthorizeReply, Notify(1))
            .Client(TcpSession.Split(Submit(10, 1), Submit(10, 1).Length)).Server(ShareReply(10)).Close();
        var whole = NewCapture();
        whole.Tcp("192.0.2.31", 40202, "203.0.113.31", 3333, 1_000, 2_000).Handshake()
            .Client(line).Server(SubscribeReply).Client(Authorize).Server(AuthorizeReply, Notify(1))
            .Client(Submit(10, 1)).Server(ShareReply(10)).Close();

        var splitRun = Run(split);
        var wholeRun = Run(whole);

        Assert.True(splitRun.Engine.Counters.Frames > 300 + Submit(10, 1).Length);
        var expected = Assert.Single(wholeRun.Detections);
        var actual = Assert.Single(splitRun.Detections);
        output.WriteLine(Essence(actual));
        Assert.Equal(Essence(expected), Essence(actual));
        Assert.Equal("cgminer/4.10.0 " + new string('x', 300 - prefix.Length - suffix.Length), actual.Agent);
        Assert.Equal(1, actual.SharesAccepted);
        Assert.Equal(0, splitRun.Engine.InspectionCounters.MalformedJson);
    }

    /// <summary>
    /// The capture starts after the handshake and inside a line: the half line is skipped to
    /// its newline (whether the captured half starts inside a string or at a nested '{'), and
    /// the pool's pushes and the miner's later submits are enough on their own.
    /// </summary>
    [Theory]
    [InlineData("stratum")]
    [InlineData("cryptonote")]
    public void Capture_starting_mid_session_and_mid_line_is_still_detected(string dialect)
    {
        var capture = NewCapture();
        var session = capture.Tcp("192.0.2.32", 40203, "203.0.113.32", dialect == "stratum" ? (ushort)3333 : (ushort)10128, 1_000, 2_000);
        session.Captured = false;
        session.Handshake();
        if (dialect == "stratum")
        {
            session.Client(Subscribe).Server(SubscribeReply);
            // Cut inside the worker string: the captured half starts with letters.
            var cut = Authorize.IndexOf("rig1", StringComparison.Ordinal);
            session.Client(Authorize[..cut]);
            session.Captured = true;
            session.Client(Authorize[cut..]).Server(AuthorizeReply, Notify(1))
                .Client(Submit(10, 1)).Server(ShareReply(10))
                .Client(Submit(11, 1)).Server(ShareReply(11)).Close();
        }
        else
        {
            // Cut just before the nested params object: the captured half starts with '{'.
            var cut = XmrigLogin.IndexOf("{\"login\"", StringComparison.Ordinal);
            session.Client(XmrigLogin[..cut]);
            session.Captured = true;
            session.Client(XmrigLogin[cut..]).Server(XmrigJob("a1"))
                .Client(XmrigSubmit(2, "a1")).Server(XmrigShareReply(2))
                .Client(XmrigSubmit(3, "a1")).Server(XmrigShareReply(3)).Close();
        }

        var run = Run(capture);

        var detection = Assert.Single(run.Detections);
        output.WriteLine(Essence(detection));
        Assert.Equal(dialect == "stratum" ? "stratum-v1" : "cryptonote", detection.Dialect);
        Assert.Equal("high", detection.Confidence.ToWireName());
        Assert.Equal("192.0.2.32", detection.MinerAddress.ToString());
        Assert.Equal(2, detection.SharesSubmitted);
        Assert.Equal(2, detection.SharesAccepted);
        Assert.Equal(0, run.Engine.InspectionCounters.DirectionsAbandoned);
    }

    internal const string XmrigLogin =
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"rx/0\"],\"rigid\":\"\"}}\n";

    internal static string XmrigJob(string job) =>
        $"{{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{{\"blob\":\"0707c5e0dfdc057c60c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"job_id\":\"{job}\",\"target\":\"711b0d00\",\"algo\":\"rx/0\"}}}}\n";

    internal static string XmrigSubmit(int id, string job) =>
        $"{{\"id\":{id},\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{{\"id\":\"0ea1\",\"job_id\":\"{job}\",\"nonce\":\"a4010000\",\"result\":\"3b0f7bd2c4a27cf1e2ea3dfa8a4e1ab8f1c0a7c7c3a7ad6e9f7e31d7f8f40000\"}}}}\n";

    internal static string XmrigShareReply(int id) => $"{{\"id\":{id},\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{{\"status\":\"OK\"}}}}\n";

    /// <summary>
    /// A Stratum session whose messages each travel in three segments, replayed with adjacent
    /// same-direction data segments swapped, every fourth data segment retransmitted at once
    /// and every seventh again a few packets later: identical detection and share counts, the
    /// reordering and duplicates seen by reassembly, no gap.
    /// </summary>
    [Fact]
    public void Reordered_and_retransmitted_segments_give_the_same_detection_and_shares()
    {
        var capture = NewCapture();
        var session = capture.Tcp("192.0.2.33", 40204, "203.0.113.33", 3333, 4_294_960_000, 2_000).Handshake(); // client sequence wraps
        session.Client(TcpSession.Split(Subscribe, 3)).Server(TcpSession.Split(SubscribeReply, 3))
            .Client(TcpSession.Split(Authorize, 3)).Server(TcpSession.Split(AuthorizeReply + SetDifficulty, 3));
        for (var i = 0; i < 20; i++)
        {
            session.Server(TcpSession.Split(Notify(i), 3)).Client(TcpSession.Split(Submit(10 + i, i), 3)).Server(TcpSession.Split(ShareReply(10 + i), 3));
        }
        session.Close();
        var inOrder = Frames(capture);

        var shuffled = new List<Frame>(inOrder);
        var swaps = 0;
        for (var i = 0; i + 1 < shuffled.Count; i++)
        {
            var a = Tcp(shuffled[i]);
            var b = Tcp(shuffled[i + 1]);
            if (a is { PayloadLength: > 0 } && b is { PayloadLength: > 0 } && a.Value.SourcePort == b.Value.SourcePort)
            {
                // Swap the frames, keep the clock running forward.
                (shuffled[i], shuffled[i + 1]) = (shuffled[i + 1] with { Micros = shuffled[i].Micros }, shuffled[i] with { Micros = shuffled[i + 1].Micros });
                swaps++;
                i += 2;
            }
        }
        var replayed = new List<Frame>();
        var dataSegments = 0;
        var late = new List<(int Due, Frame Frame)>();
        foreach (var frame in shuffled)
        {
            replayed.Add(frame);
            foreach (var due in late.Where(l => l.Due <= replayed.Count).ToList())
            {
                replayed.Add(due.Frame with { Micros = frame.Micros });
                late.Remove(due);
            }
            if (Tcp(frame) is { PayloadLength: > 0 })
            {
                dataSegments++;
                if (dataSegments % 4 == 0)
                {
                    replayed.Add(frame);
                }
                if (dataSegments % 7 == 0)
                {
                    late.Add((replayed.Count + 3, frame));
                }
            }
        }

        var inOrderRun = Run(inOrder);
        var replayedRun = Run(replayed);

        output.WriteLine($"{swaps} swaps, {replayed.Count - inOrder.Count} duplicates; out-of-order delivered {replayedRun.Engine.FlowCounters.OutOfOrderSegments}, retransmitted bytes {replayedRun.Engine.FlowCounters.RetransmittedBytes}");
        Assert.True(swaps >= 20, $"only {swaps} swaps");
        Assert.True(replayed.Count - inOrder.Count >= 20);
        var expected = Assert.Single(inOrderRun.Detections);
        var actual = Assert.Single(replayedRun.Detections);
        Assert.Equal(Essence(expected), Essence(actual));
        Assert.Equal(20, actual.SharesSubmitted);
        Assert.Equal(20, actual.SharesAccepted);
        Assert.Equal(inOrderRun.Engine.InspectionCounters.JsonMessages, replayedRun.Engine.InspectionCounters.JsonMessages);
        Assert.Equal(swaps, replayedRun.Engine.FlowCounters.OutOfOrderSegments);
        Assert.True(replayedRun.Engine.FlowCounters.RetransmittedBytes > 0);
        Assert.Equal(0, replayedRun.Engine.FlowCounters.Gaps);
    }
}
