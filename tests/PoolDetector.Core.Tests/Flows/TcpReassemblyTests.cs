using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

public class TcpReassemblyTests
{
    private const FlowDirection C2S = FlowDirection.ClientToServer;
    private const FlowDirection S2C = FlowDirection.ServerToClient;

    [Fact]
    public void Delivers_InOrderSegments_AsTheyArrive()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientSends("{\"id\":1,");
        c.ClientSends("\"method\":\"login\"}\n");

        Assert.Equal(["start 1", "data 1 c2s {\"id\":1,", "data 1 c2s \"method\":\"login\"}\n"], h.Consumer.Events);
        Assert.Equal(0, h.Counters.Gaps);
    }

    [Theory]
    [InlineData(new[] { 2, 1, 0 })]
    [InlineData(new[] { 1, 0, 2 })]
    [InlineData(new[] { 0, 2, 1 })]
    [InlineData(new[] { 3, 2, 1, 0 })]
    public void Delivers_OutOfOrderSegments_InOrder(int[] order)
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        string[] parts = ["aaaa", "bbbb", "cccc", "dddd"];
        foreach (var i in order)
        {
            c.ClientAt((uint)(i * 4), parts[i]);
        }

        Assert.Equal(string.Concat(parts.Take(order.Length)), h.Consumer.Stream(1, C2S));
        Assert.Equal(0, h.Counters.Gaps);
        Assert.Equal(0, h.Counters.RetransmittedBytes);
    }

    public static TheoryData<string, uint, string, string, long> Retransmissions => new()
    {
        // case, offset of the resent segment after "0123456789" was delivered, its text, stream, duplicate bytes
        { "exact duplicate", 0, "0123456789", "0123456789", 10 },
        { "duplicate tail", 5, "56789", "0123456789", 5 },
        { "overlap into new data", 7, "789ABC", "0123456789ABC", 3 },
        { "covers old and new", 0, "0123456789AB", "0123456789AB", 10 },
    };

    [Theory]
    [MemberData(nameof(Retransmissions))]
    public void Delivers_OnlyNewBytes_FromRetransmissions(string scenario, uint offset, string resent, string stream, long duplicates)
    {
        _ = scenario;
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientSends("0123456789");
        c.ClientAt(offset, resent);

        Assert.Equal(stream, h.Consumer.Stream(1, C2S));
        Assert.Equal(duplicates, h.Counters.RetransmittedBytes);
    }

    [Fact]
    public void Deduplicates_OverlappingOutOfOrderSegments()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientAt(4, "EFGH");
        c.ClientAt(4, "EFGH");   // duplicate of a held segment
        c.ClientAt(6, "GHIJ");   // overlaps the held segment
        c.ClientAt(0, "ABCDEF"); // fills the hole and overlaps it

        Assert.Equal("ABCDEFGHIJ", h.Consumer.Stream(1, C2S));
        Assert.Equal(4 + 2 + 2, h.Counters.RetransmittedBytes);
        Assert.Equal(0, h.Counters.Gaps);
    }

    [Fact]
    public void Skips_Gap_WhenSegmentWindowOverflows()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxBufferedSegmentsPerDirection = 2 });
        var c = h.Conversation().Handshake();
        c.ClientSends("ab");
        // "cd" at offset 2 is lost.
        c.ClientAt(4, "ef");
        c.ClientAt(6, "gh");
        Assert.Equal("ab", h.Consumer.Stream(1, C2S));

        c.ClientAt(8, "ij"); // no room: give up on the hole

        Assert.Equal("ab[gap 2]efghij", h.Consumer.Stream(1, C2S));
        Assert.Equal((1L, 2L, 1L), (h.Counters.Gaps, h.Counters.GapBytes, h.Counters.GapsWindowFull));
    }

    [Fact]
    public void Skips_Gap_WhenByteWindowOverflows()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxBufferedBytesPerDirection = 8 });
        var c = h.Conversation().Handshake();
        c.ClientAt(10, "0123456");  // 10 bytes lost before it
        c.ClientAt(17, "789");      // 7 + 3 > 8

        Assert.Equal("[gap 10]0123456789", h.Consumer.Stream(1, C2S));
        Assert.Equal(1, h.Counters.GapsWindowFull);
    }

    [Fact]
    public void Skips_Gap_WhenTableWideBufferIsFull()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxBufferedBytesTotal = 6 });
        var first = h.Conversation(client: Endpoint.Of("10.0.0.1", 40001)).Handshake();
        var second = h.Conversation(client: Endpoint.Of("10.0.0.2", 40002)).Handshake();
        first.ClientAt(2, "held");
        Assert.Equal(4, h.Table.BufferedBytes);

        second.ClientAt(2, "late"); // 4 + 4 > 6: no room anywhere

        Assert.Equal("[gap 2]late", h.Consumer.Stream(2, C2S));
        Assert.Equal("", h.Consumer.Stream(1, C2S));
        Assert.Equal(1, h.Counters.GapsTableFull);
        h.Table.EndAll(h.Now);
        Assert.Equal(0, h.Table.BufferedBytes);
    }

    [Fact]
    public void Delivers_SegmentLargerThanWindow_AfterSkippingGap()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxBufferedBytesPerDirection = 4 });
        var c = h.Conversation().Handshake();
        c.ClientAt(3, "too big for the window");

        Assert.Equal("[gap 3]too big for the window", h.Consumer.Stream(1, C2S));
    }

    [Fact]
    public void Skips_Gap_AtFlowEnd_AndDeliversHeldData()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientSends("ab");
        c.ClientAt(5, "fg");
        c.ServerAt(3, "xyz");

        h.Table.EndAll(h.Now);

        Assert.Equal("ab[gap 3]fg", h.Consumer.Stream(1, C2S));
        Assert.Equal("[gap 3]xyz", h.Consumer.Stream(1, S2C));
        Assert.Equal((2L, 2L), (h.Counters.Gaps, h.Counters.GapsAtEnd));
        Assert.Equal("end 1 EndOfInput", h.Consumer.Events[^1]);
    }

    [Fact]
    public void Reports_BytesMissingBeforeFin_AtFlowEnd()
    {
        var h = new FlowHarness(new FlowTableOptions { TcpClosedTimeout = TimeSpan.FromSeconds(1) });
        var c = h.Conversation().Handshake();
        c.ClientSends("abc");
        h.Tcp(c.Client, c.Server, TcpFlags.Fin | TcpFlags.Ack, 1000 + 1 + 10); // FIN after 10 bytes: 7 never seen
        c.ServerFin();
        h.Advance(TimeSpan.FromSeconds(2));
        h.Table.ExpireIdle(h.Now);

        Assert.Equal("abc[gap 7]", h.Consumer.Stream(1, C2S));
        Assert.Equal(FlowEndReason.Fin, Assert.Single(h.Consumer.Ended).Reason);
    }

    [Fact]
    public void Skips_Gap_WhenPeerAcknowledgesPastIt()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientSends("ab");
        c.ClientAt(4, "ef");
        c.ServerAcks(2); // only what was delivered: still waiting
        Assert.Equal("ab", h.Consumer.Stream(1, C2S));

        c.ServerAcks(6); // the server has "cd": the capture lost it for good
        Assert.Equal("ab[gap 2]ef", h.Consumer.Stream(1, C2S));
        Assert.Equal(1, h.Counters.GapsAcked);
    }

    [Fact]
    public void Skips_Gap_WhenHeldDataOutlivesTimeout()
    {
        var h = new FlowHarness(new FlowTableOptions { OutOfOrderTimeout = TimeSpan.FromSeconds(2) });
        var c = h.Conversation().Handshake();
        c.ClientSends("ab");
        c.ClientAt(4, "ef");
        h.Advance(TimeSpan.FromSeconds(1));
        c.ServerSends("tick");
        Assert.Equal("ab", h.Consumer.Stream(1, C2S));

        h.Advance(TimeSpan.FromSeconds(1));
        c.ServerSends("tock");

        Assert.Equal("ab[gap 2]ef", h.Consumer.Stream(1, C2S));
        Assert.Equal(1, h.Counters.GapsTimedOut);
    }

    [Fact]
    public void Resumes_AfterSegmentCutBySnapLength()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientAt(0, "abc", truncated: true); // 10 bytes on the wire, 3 captured
        c.ClientAt(10, "klm");

        Assert.Equal("abc[gap 7]klm", h.Consumer.Stream(1, C2S));
        Assert.Equal(1, h.Counters.GapsTruncated);
    }

    [Theory]
    [InlineData(0xFFFF_FFF0u)]
    [InlineData(0xFFFF_FFFEu)]
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(0x7FFF_FFFAu)]
    public void Handles_SequenceWraparound(uint clientIsn)
    {
        var h = new FlowHarness();
        var c = h.Conversation(clientIsn: clientIsn).Handshake();
        c.ClientSends("0123456789");
        c.ClientAt(20, "KLMNOPQRST");
        c.ClientAt(10, "ABCDEFGHIJ");
        c.ClientAt(5, "56789ABCDE"); // retransmission straddling the wrap

        Assert.Equal("0123456789ABCDEFGHIJKLMNOPQRST", h.Consumer.Stream(1, C2S));
        Assert.Equal(0, h.Counters.Gaps);
        Assert.Equal(10, h.Counters.RetransmittedBytes);
    }

    [Fact]
    public void Reassembles_OneMessage_SplitAcrossManySegments()
    {
        var h = new FlowHarness();
        var c = h.Conversation(serverIsn: 0xFFFF_FF00).Handshake();
        var message = "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"" + new string('f', 900) + "\",true]}\n";
        const int chunk = 37;
        var offsets = new List<int>();
        for (var offset = 0; offset < message.Length; offset += chunk)
        {
            offsets.Add(offset);
        }
        // Swap neighbours pairwise, and resend every fifth segment.
        for (var i = 0; i + 1 < offsets.Count; i += 2)
        {
            (offsets[i], offsets[i + 1]) = (offsets[i + 1], offsets[i]);
        }
        var n = 0;
        foreach (var offset in offsets)
        {
            var text = message.Substring(offset, Math.Min(chunk, message.Length - offset));
            c.ServerAt((uint)offset, text);
            if (++n % 5 == 0)
            {
                c.ServerAt((uint)offset, text);
            }
        }

        Assert.Equal(message, h.Consumer.Stream(1, S2C));
        Assert.Equal(0, h.Counters.Gaps);
    }

    [Fact]
    public void Starts_MidSessionStreams_AtTheFirstDataOfEachDirection()
    {
        var h = new FlowHarness();
        var miner = Endpoint.Of("10.1.2.3", 50123);
        var pool = Endpoint.Of("192.0.2.10", 4444);
        h.Tcp(pool, miner, TcpFlags.Psh | TcpFlags.Ack, 123_456, "{\"method\":\"job\"}\n", ack: 900);
        h.Tcp(miner, pool, TcpFlags.Ack, 900, ack: 123_473); // pure ACK: does not start the stream
        h.Tcp(miner, pool, TcpFlags.Psh | TcpFlags.Ack, 5_000, "{\"method\":\"submit\"}\n");
        h.Tcp(pool, miner, TcpFlags.Psh | TcpFlags.Ack, 123_473, "{\"result\":");
        h.Tcp(miner, pool, TcpFlags.Psh | TcpFlags.Ack, 5_020, "{}\n");

        Assert.Equal("{\"method\":\"job\"}\n{\"result\":", h.Consumer.Stream(1, S2C));
        Assert.Equal("{\"method\":\"submit\"}\n{}\n", h.Consumer.Stream(1, C2S));
        Assert.False(h.Consumer.StartedFlows[0].OrientationFromSyn);
        Assert.Equal(0, h.Counters.Gaps);
    }

    [Fact]
    public void Counts_SynAndFin_AsOneSequenceNumberEach()
    {
        var h = new FlowHarness();
        var c = h.Conversation(clientIsn: 41).Handshake();
        c.ClientSends("abc");  // seq 42: right after the SYN
        c.ClientFin();         // seq 45
        c.ClientFin();         // resent FIN: nothing new
        h.Tcp(c.Client, c.Server, TcpFlags.Psh | TcpFlags.Ack, 46, "x"); // beyond the FIN: not the stream

        Assert.Equal("abc", h.Consumer.Stream(1, C2S));
        Assert.Equal(0, h.Counters.RetransmittedBytes);
        Assert.Equal(1, h.Counters.BytesAfterFin);
    }

    [Fact]
    public void Delivers_DataCarriedOnSyn()
    {
        var h = new FlowHarness();
        var client = Endpoint.Of("10.0.0.1", 40000);
        var server = Endpoint.Of("10.0.0.2", 443);
        h.Tcp(client, server, TcpFlags.Syn, 99, "fast");
        h.Tcp(client, server, TcpFlags.Psh | TcpFlags.Ack, 104, "open");

        Assert.Equal("fastopen", h.Consumer.Stream(1, C2S));
    }

    [Fact]
    public void Delivers_Nothing_ForZeroLengthSegments()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ServerAcks(0);
        c.ClientAt(0, "");

        Assert.Equal(["start 1"], h.Consumer.Events);
    }

    [Fact]
    public void Stops_Delivery_WhenPayloadNoLongerWanted()
    {
        var h = new FlowHarness();
        h.Consumer.AfterPayload = (flow, _, text) =>
        {
            if (text.Contains("enough", StringComparison.Ordinal))
            {
                flow.WantsPayload = false;
            }
        };
        var c = h.Conversation().Handshake();
        c.ClientAt(6, "later");   // held
        c.ClientSends("enough");  // fills the hole, but the consumer stops here
        c.ServerSends("ignored");
        c.ClientAt(20, "ignored");

        Assert.Equal("enough", h.Consumer.Stream(1, C2S));
        Assert.Equal("", h.Consumer.Stream(1, S2C));
        var flow = h.Consumer.StartedFlows[0];
        Assert.Equal(5, flow.PacketsToServer);
        Assert.Equal(2, flow.PacketsToClient);

        h.Table.EndAll(h.Now);
        Assert.Equal(0, h.Counters.Gaps);
    }

    [Fact]
    public void Keeps_Directions_Independent()
    {
        var h = new FlowHarness();
        var c = h.Conversation().Handshake();
        c.ClientAt(3, "def");
        c.ServerSends("123");
        c.ClientAt(0, "abc");
        c.ServerSends("456");

        Assert.Equal(
            ["start 1", "data 1 s2c 123", "data 1 c2s abc", "data 1 c2s def", "data 1 s2c 456"],
            h.Consumer.Events);
        Assert.Equal(1, h.Counters.OutOfOrderSegments);
    }
}
