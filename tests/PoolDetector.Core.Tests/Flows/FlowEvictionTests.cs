using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

/// <summary>
/// Which flow a full table gives up: the least recently seen flow that never carried payload
/// (SYN-only, scan probes, bare handshakes), and only when there is none the least recently
/// seen flow overall. A SYN flood must not push out a quiet miner that sends a job a minute.
/// </summary>
public class FlowEvictionTests
{
    private static readonly Endpoint Pool = Endpoint.Of("192.0.2.10", 3333);

    private static Endpoint Scanner(int i) => Endpoint.Of("198.51.100.7", (ushort)(20000 + i));

    [Fact]
    public void Evicts_PayloadlessFlow_BeforeAnOlderFlowWithPayload()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 4 });
        var miner = h.Conversation(Endpoint.Of("10.1.2.3", 51234), Pool).Handshake();
        miner.ServerSends("{\"method\":\"job\"}\n");
        h.Udp(Endpoint.Of("10.1.2.4", 40000), Endpoint.Of("192.0.2.53", 53), "query");
        for (var i = 0; i < 1000; i++)
        {
            h.Tcp(Scanner(i), Pool, TcpFlags.Syn, (uint)i);
        }

        // The miner (flow 1) and the DNS flow (2) are older than every SYN, yet both survive:
        // 1000 SYNs into the 2 free slots left 998 SYN flows evicted, oldest first.
        Assert.Equal(4, h.Table.ActiveFlows);
        Assert.DoesNotContain(h.Consumer.Ended, e => e.Id is 1 or 2);
        Assert.Equal(Enumerable.Range(3, 998).Select(i => (long)i), h.Consumer.Ended.Select(e => e.Id));
        Assert.All(h.Consumer.Ended, e => Assert.Equal(FlowEndReason.Capacity, e.Reason));
        Assert.Equal(998, h.Counters.FlowsEvictedCapacity);
        Assert.Equal(998, h.Counters.FlowsEvictedWithoutPayload);
    }

    [Fact]
    public void Evicts_LeastRecentlySeen_AmongPayloadlessFlows()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 3 });
        h.Tcp(Scanner(1), Pool, TcpFlags.Syn, 1);
        h.Tcp(Scanner(2), Pool, TcpFlags.Syn, 2);
        h.Tcp(Scanner(3), Pool, TcpFlags.Syn, 3);
        h.Tcp(Scanner(1), Pool, TcpFlags.Syn, 1); // SYN retransmission: flow 1 is now the most recent

        h.Tcp(Scanner(4), Pool, TcpFlags.Syn, 4);
        h.Tcp(Scanner(5), Pool, TcpFlags.Syn, 5);

        Assert.Equal([2L, 3L], h.Consumer.Ended.Select(e => e.Id));
        Assert.Equal(2, h.Counters.FlowsEvictedWithoutPayload);
    }

    [Fact]
    public void Evicts_LeastRecentlySeenFlowOverall_WhenEveryFlowCarriedPayload()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 3 });
        var tcp = h.Conversation(Endpoint.Of("10.0.0.1", 40001), Pool).Handshake();
        tcp.ClientSends("a");
        h.Udp(Endpoint.Of("10.0.0.2", 40002), Pool, "b");
        h.Tcp(Endpoint.Of("10.0.0.3", 40003), Pool, TcpFlags.Ack | TcpFlags.Psh, 7, "mid-session"); // created with payload
        tcp.ClientSends("a again"); // the TCP flow is now the most recent: the UDP flow is the oldest

        h.Udp(Endpoint.Of("10.0.0.4", 40004), Pool, "d");
        h.Udp(Endpoint.Of("10.0.0.5", 40005), Pool, "e");

        Assert.Equal([2L, 3L], h.Consumer.Ended.Select(e => e.Id));
        Assert.Equal(2, h.Counters.FlowsEvictedCapacity);
        Assert.Equal(0, h.Counters.FlowsEvictedWithoutPayload);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Leaves_PayloadlessSide_AtFirstPayloadByte_InEitherDirection(bool serverSpeaksFirst)
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 2 });
        var quiet = h.Conversation(Endpoint.Of("10.0.0.1", 40001), Pool).Handshake();
        var bare = h.Conversation(Endpoint.Of("10.0.0.2", 40002), Pool).Handshake();
        if (serverSpeaksFirst)
        {
            quiet.ServerSends("job");
        }
        else
        {
            quiet.ClientSends("login");
        }
        // The handshake-only flow 2 is newer than flow 1's handshake, but flow 1 now carried a byte.
        bare.ServerAcks(0);

        h.Tcp(Scanner(1), Pool, TcpFlags.Syn, 1);

        Assert.Equal(2, Assert.Single(h.Consumer.Ended).Id);
        Assert.Equal(1, h.Counters.FlowsEvictedWithoutPayload);
    }

    [Fact]
    public void Evicts_ClosedPayloadlessFlow_BeforeAnOpenFlowWithPayload()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 2 });
        var miner = h.Conversation(Endpoint.Of("10.0.0.1", 40001), Pool).Handshake();
        miner.ServerSends("job");
        var probe = h.Conversation(Scanner(1), Pool).Handshake();
        probe.ClientRst(); // a connect scan: handshake, then reset, never a byte

        h.Tcp(Scanner(2), Pool, TcpFlags.Syn, 2);

        var ended = Assert.Single(h.Consumer.Ended);
        Assert.Equal(2, ended.Id);
        Assert.Equal(FlowEndReason.Capacity, ended.Reason);
        Assert.Equal(1, h.Counters.FlowsEvictedWithoutPayload);
    }

    [Fact]
    public void Keeps_Timeouts_AndEndsQuietFlowsInLastSeenOrder_WithOrWithoutPayload()
    {
        var h = new FlowHarness(new FlowTableOptions { TcpIdleTimeout = TimeSpan.FromSeconds(30), TcpClosedTimeout = TimeSpan.FromSeconds(5) });
        h.Tcp(Scanner(1), Pool, TcpFlags.Syn, 1);                                          // 1: payload-less
        var data = h.Conversation(Endpoint.Of("10.0.0.1", 40001), Pool).Handshake();
        data.ClientSends("a");                                                             // 2: payload
        h.Tcp(Scanner(3), Pool, TcpFlags.Syn, 3);                                          // 3: payload-less
        var reset = h.Conversation(Scanner(4), Pool).Handshake();
        reset.ClientRst();                                                                 // 4: closed, payload-less

        h.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(2)); // the clock already moved 1 ms past the RST
        h.Table.ExpireIdle(h.Now);
        Assert.Empty(h.Consumer.Ended);
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.Table.ExpireIdle(h.Now);
        Assert.Equal([4L], h.Consumer.Ended.Select(e => e.Id));
        Assert.Equal(FlowEndReason.Reset, h.Consumer.Ended[0].Reason);

        h.Advance(TimeSpan.FromSeconds(30));
        h.Table.ExpireIdle(h.Now);
        Assert.Equal([4L, 1L, 2L, 3L], h.Consumer.Ended.Select(e => e.Id));
        Assert.Equal(3, h.Counters.FlowsEndedIdle);
        Assert.Equal(0, h.Counters.FlowsEvictedCapacity);
    }
}
