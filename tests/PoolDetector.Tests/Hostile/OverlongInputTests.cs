using System.Text;
using PoolDetector.Tests.CaptureGeneration;
using Xunit.Abstractions;
using static PoolDetector.Tests.Hostile.HostileHarness;

namespace PoolDetector.Tests.Hostile;

/// <summary>
/// Lines far past scoring.yml's max_line_bytes and JSON built to hurt a parser: skipped and
/// counted, never buffered without bound, never thrown out of the engine, and the framer
/// picks the stream up again at the next newline.
/// </summary>
public class OverlongInputTests(ITestOutputHelper output)
{
    private const int TenMegabytes = 10 * 1024 * 1024;
    private const int Mss = 1448;

    /// <summary>A JSON-looking line of <paramref name="length"/> bytes with no newline, cut into MSS-sized segments.</summary>
    private static string[] OverlongLine(int length)
    {
        var head = "{\"id\":7,\"method\":\"mining.subscribe\",\"params\":[\"";
        var segments = new string[(length + Mss - 1) / Mss];
        var filler = new string('A', Mss);
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = filler;
        }
        segments[0] = head + filler[head.Length..];
        var last = length - ((segments.Length - 1) * Mss);
        segments[^1] = filler[..last];
        return segments;
    }

    /// <summary>
    /// Flow 40101: 10 MB without a newline first, then a newline and a real subscribe (the
    /// pool's notify and difficulty still come through on the other direction). Flow 40102:
    /// a miner already identified sends the 10 MB line mid-session, then authorizes and
    /// submits: the framer resumes after the newline and the shares are counted. Flow 40103:
    /// an ordinary miner beside them. Bounds: each 10 MB line counted once in LinesTooLong,
    /// under 2 MB allocated for 20 MB of payload (no buffer grows with the line), all three detected.
    /// </summary>
    [Fact]
    public void Ten_megabyte_line_is_skipped_counted_and_bounded_and_mining_beside_and_after_it_is_found()
    {
        var capture = NewCapture();
        var first = capture.Tcp("192.0.2.21", 40101, "203.0.113.21", 3333, 1_000, 2_000).Handshake();
        first.Client(OverlongLine(TenMegabytes));
        first.Client("\n" + Subscribe).Server(SubscribeReply, SetDifficulty, Notify(1)).Client(Authorize).Server(AuthorizeReply).Close();

        var second = capture.Tcp("192.0.2.22", 40102, "203.0.113.22", 3333, 3_000, 4_000).Handshake()
            .Client(Subscribe).Server(SubscribeReply);
        second.Client(OverlongLine(TenMegabytes));
        second.Client("\n" + Authorize).Server(AuthorizeReply, Notify(2))
            .Client(Submit(10, 2)).Server(ShareReply(10))
            .Client(Submit(11, 2)).Server(ShareReply(11)).Close();

        NormalMiner(capture, 40103);
        var frames = Frames(capture);

        var run = Run(frames);

        output.WriteLine($"{frames.Count} frames in {run.Elapsed.TotalMilliseconds:F0} ms, {run.AllocatedBytes} bytes allocated");
        var counters = run.Engine.InspectionCounters;
        Assert.Equal(2, counters.LinesTooLong);
        Assert.True(run.AllocatedBytes < 2 * 1024 * 1024, $"allocated {run.AllocatedBytes} bytes over 20 MB of overlong lines");

        // The line ran past the byte budget with no evidence: the client direction of 40101
        // was let go (the only direction abandoned), and the pool's own messages carried the flow.
        Assert.Equal(1, counters.DirectionsAbandoned);
        var afterLongFirstLine = run.For(40101);
        Assert.NotNull(afterLongFirstLine);
        Assert.Equal("stratum-v1", afterLongFirstLine.Dialect);
        Assert.Contains("mining.notify", afterLongFirstLine.Evidence);
        Assert.Contains("mining.set_difficulty", afterLongFirstLine.Evidence);

        var afterLongMiddleLine = run.For(40102);
        Assert.NotNull(afterLongMiddleLine);
        Assert.Equal(["mining.subscribe", "agent:cgminer", "mining.subscribe:reply", "mining.authorize", "mining.authorize:reply", "mining.notify", "mining.submit", "mining.submit:reply"],
            afterLongMiddleLine.Evidence);
        Assert.Equal(2, afterLongMiddleLine.SharesSubmitted);
        Assert.Equal(2, afterLongMiddleLine.SharesAccepted);

        Assert.NotNull(run.For(40103));
        Assert.Equal(3, run.Detections.Count);
    }

    /// <summary>A line one byte under the limit is still read; one byte over is skipped.</summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 1)]
    public void Line_limit_is_max_line_bytes(int over, int tooLong)
    {
        var max = Corpus.CaptureRunner.Rules.Scoring.MaxLineBytes;
        var prefix = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"";
        var suffix = "\"]}";
        // The line without its newline is max - 1 + over bytes long.
        var line = prefix + new string('a', max - 1 + over - prefix.Length - suffix.Length) + suffix + "\n";
        var capture = NewCapture();
        capture.Tcp("192.0.2.23", 40104, "203.0.113.23", 3333, 1, 2).Handshake()
            .Client(Chunks(line, Mss)).Server(SubscribeReply, Notify(1)).Close();

        var run = Run(capture);

        Assert.Equal(tooLong, run.Engine.InspectionCounters.LinesTooLong);
        var detection = Assert.Single(run.Detections);
        Assert.Equal(tooLong == 0, detection.Evidence.Contains("mining.subscribe"));
    }

    /// <summary>
    /// Hostile JSON on a Stratum port after a real subscribe: 5000 '[' (past the scanner's
    /// depth limit of 16), 5000 '{' objects nested, 100k keys (past max_line_bytes), 4000 keys
    /// (within it, read key by key), a key repeated 4000 times. Each is malformed, too long or
    /// read harmlessly; nothing throws; the authorize and submits after them still count.
    /// </summary>
    [Fact]
    public void Deeply_nested_and_huge_objects_are_malformed_or_skipped_and_the_next_line_still_works()
    {
        var deepArrays = "{\"id\":3,\"method\":\"mining.subscribe\",\"params\":" + new string('[', 5000) + new string(']', 5000) + "}\n";
        var deepObjects = new StringBuilder("{\"id\":4,\"params\":");
        for (var i = 0; i < 5000; i++)
        {
            deepObjects.Append("{\"a\":");
        }
        deepObjects.Append('1').Append('}', 5001).Append('\n');
        var hugeKeys = ManyKeys(100_000);
        var manyKeys = ManyKeys(4_000);
        var repeatedMethod = new StringBuilder("{\"id\":5");
        for (var i = 0; i < 4000; i++)
        {
            repeatedMethod.Append(",\"method\":\"x\"");
        }
        repeatedMethod.Append("}\n");

        var capture = NewCapture();
        capture.Tcp("192.0.2.24", 40105, "203.0.113.24", 3333, 1_000, 2_000).Handshake()
            .Client(Subscribe).Server(SubscribeReply)
            .Client(Chunks(deepArrays, Mss)).Client(Chunks(deepObjects.ToString(), Mss))
            .Client(Chunks(hugeKeys, Mss)).Client(Chunks(manyKeys, Mss)).Client(Chunks(repeatedMethod.ToString(), Mss))
            .Client(Authorize).Server(AuthorizeReply, Notify(1))
            .Client(Submit(10, 1)).Server(ShareReply(10)).Close();
        // The same nesting as the first thing on a flow (within the byte budget), then a subscribe.
        capture.Tcp("192.0.2.25", 40106, "203.0.113.25", 3333, 3_000, 4_000).Handshake()
            .Client(Chunks(deepArrays, Mss)).Client(Subscribe).Server(SubscribeReply).Close();

        var run = Run(capture);

        output.WriteLine($"{run.Elapsed.TotalMilliseconds:F0} ms, {run.AllocatedBytes} bytes allocated");
        var counters = run.Engine.InspectionCounters;
        Assert.Equal(3, counters.MalformedJson); // deep arrays twice, deep objects once
        Assert.Equal(1, counters.LinesTooLong); // 100k keys
        Assert.Equal(0, counters.DirectionsAbandoned);
        Assert.True(run.AllocatedBytes < 1024 * 1024, $"allocated {run.AllocatedBytes} bytes");

        var miner = run.For(40105);
        Assert.NotNull(miner);
        Assert.Equal(["mining.subscribe", "agent:cgminer", "mining.subscribe:reply", "mining.authorize", "mining.authorize:reply", "mining.notify", "mining.submit", "mining.submit:reply"],
            miner.Evidence);
        Assert.Equal(1, miner.SharesAccepted);

        var afterNesting = run.For(40106);
        Assert.NotNull(afterNesting);
        Assert.Equal(["mining.subscribe", "agent:cgminer", "mining.subscribe:reply"], afterNesting.Evidence);
    }

    private static string ManyKeys(int keys)
    {
        var text = new StringBuilder("{\"id\":6,\"params\":{");
        for (var i = 0; i < keys; i++)
        {
            text.Append(i == 0 ? "" : ",").Append("\"k").Append(i).Append("\":").Append(i);
        }
        return text.Append("}}\n").ToString();
    }

    /// <summary><paramref name="text"/> cut into segments of at most <paramref name="size"/> characters.</summary>
    internal static string[] Chunks(string text, int size)
    {
        var chunks = new string[(text.Length + size - 1) / size];
        for (var i = 0; i < chunks.Length; i++)
        {
            chunks[i] = text.Substring(i * size, Math.Min(size, text.Length - (i * size)));
        }
        return chunks;
    }
}
