using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

public class FlowTableTests
{
    private static readonly Endpoint Miner = Endpoint.Of("10.1.2.3", 51234);
    private static readonly Endpoint Pool = Endpoint.Of("192.0.2.10", 3333);

    [Fact]
    public void Maps_BothDirections_ToOneFlow()
    {
        var h = new FlowHarness();
        var c = h.Conversation(Miner, Pool).Handshake();
        c.ClientSends("hello");
        c.ServerSends("world!");

        Assert.Equal(1, h.Table.ActiveFlows);
        var flow = Assert.Single(h.Consumer.StartedFlows);
        Assert.Equal(1, flow.Id);
        Assert.Equal(3, flow.PacketsToServer);
        Assert.Equal(2, flow.PacketsToClient);
        Assert.Equal(5, flow.BytesToServer);
        Assert.Equal(6, flow.BytesToClient);
        Assert.Equal(FlowHarness.Start, flow.FirstSeenMicros);
        Assert.Equal(FlowHarness.Start + 4000, flow.LastSeenMicros);
        Assert.Equal("hello", h.Consumer.Stream(1, FlowDirection.ClientToServer));
        Assert.Equal("world!", h.Consumer.Stream(1, FlowDirection.ServerToClient));
    }

    public static TheoryData<string, TcpFlags, ushort, ushort, bool, bool> OrientationCases => new()
    {
        // case, first packet's flags, its source port, its destination port, sender is client, from SYN
        { "SYN from the client", TcpFlags.Syn, 51234, 3333, true, true },
        { "SYN to a high port still marks the sender", TcpFlags.Syn, 3333, 51234, true, true },
        { "SYN+ACK: the receiver is the client", TcpFlags.Syn | TcpFlags.Ack, 3333, 51234, false, true },
        { "SYN+ACK from a high port", TcpFlags.Syn | TcpFlags.Ack, 51234, 3333, false, true },
        { "mid-session from the server: ephemeral port wins", TcpFlags.Ack | TcpFlags.Psh, 3333, 51234, false, false },
        { "mid-session from the client", TcpFlags.Ack | TcpFlags.Psh, 51234, 3333, true, false },
        { "equal ports: the first sender", TcpFlags.Ack | TcpFlags.Psh, 8333, 8333, true, false },
    };

    [Theory]
    [MemberData(nameof(OrientationCases))]
    public void Orients_Flow(string scenario, TcpFlags flags, ushort sourcePort, ushort destinationPort, bool senderIsClient, bool fromSyn)
    {
        _ = scenario;
        var h = new FlowHarness();
        var sender = Endpoint.Of("10.0.0.1", sourcePort);
        var receiver = Endpoint.Of("10.0.0.2", destinationPort);
        h.Tcp(sender, receiver, flags, 100, payload: (flags & TcpFlags.Syn) != 0 ? "" : "x");
        h.Tcp(receiver, sender, TcpFlags.Ack | TcpFlags.Psh, 500, "y");

        var flow = Assert.Single(h.Consumer.StartedFlows);
        Assert.Equal(senderIsClient ? sender : receiver, new Endpoint(flow.ClientAddress, flow.ClientPort));
        Assert.Equal(senderIsClient ? receiver : sender, new Endpoint(flow.ServerAddress, flow.ServerPort));
        Assert.Equal(fromSyn, flow.OrientationFromSyn);
    }

    [Fact]
    public void Orients_UdpFlow_ByEphemeralPort()
    {
        var h = new FlowHarness();
        var resolver = Endpoint.Of("10.0.0.53", 53);
        var host = Endpoint.Of("10.0.0.7", 40000);
        h.Udp(resolver, host, "answer");

        var flow = Assert.Single(h.Consumer.StartedFlows);
        Assert.Equal(host, new Endpoint(flow.ClientAddress, flow.ClientPort));
        Assert.False(flow.OrientationFromSyn);
        Assert.Equal(1, flow.PacketsToClient);
    }

    [Fact]
    public void Assigns_Ids_InCreationOrder_FromOne()
    {
        var h = new FlowHarness();
        for (ushort i = 0; i < 3; i++)
        {
            h.Udp(Endpoint.Of("10.0.0.1", (ushort)(40000 + i)), Pool, "q");
        }
        Assert.Equal([1L, 2L, 3L], h.Consumer.StartedFlows.Select(f => f.Id));
        Assert.Equal(3, h.Counters.FlowsCreated);
    }

    [Fact]
    public void Delivers_UdpDatagrams_AsIs_AndSkipsEmptyOnes()
    {
        var h = new FlowHarness();
        h.Udp(Miner, Pool, "one");
        h.Udp(Miner, Pool, "");
        h.Udp(Pool, Miner, "two");
        h.Udp(Miner, Pool, "three");

        Assert.Equal(["start 1", "data 1 c2s one", "data 1 s2c two", "data 1 c2s three"], h.Consumer.Events);
        Assert.Equal(3, h.Consumer.StartedFlows[0].PacketsToServer);
    }

    [Theory]
    [InlineData(0, 0, 10, 0)]
    [InlineData(10, 0, 20, 0)]
    [InlineData(10, 20, 10, 30)]
    public void Separates_Flows_ByVlan(ushort outerA, ushort innerA, ushort outerB, ushort innerB)
    {
        var h = new FlowHarness();
        h.Tcp(Miner, Pool, TcpFlags.Syn, 1, vlan: outerA, innerVlan: innerA);
        h.Tcp(Miner, Pool, TcpFlags.Syn, 1, vlan: outerB, innerVlan: innerB);
        h.Tcp(Pool, Miner, TcpFlags.Syn | TcpFlags.Ack, 7, ack: 2, vlan: outerB, innerVlan: innerB);

        Assert.Equal(2, h.Table.ActiveFlows);
        Assert.Equal((outerA, innerA), (h.Consumer.StartedFlows[0].OuterVlan, h.Consumer.StartedFlows[0].InnerVlan));
        Assert.Equal((outerB, innerB), (h.Consumer.StartedFlows[1].OuterVlan, h.Consumer.StartedFlows[1].InnerVlan));
        Assert.Equal(0, h.Consumer.StartedFlows[0].PacketsToClient);
        Assert.Equal(1, h.Consumer.StartedFlows[1].PacketsToClient);
    }

    [Theory]
    [InlineData(TransportProtocol.Tcp, 300)]
    [InlineData(TransportProtocol.Udp, 60)]
    public void Expires_IdleFlows_OnPacketTime(TransportProtocol transport, int timeoutSeconds)
    {
        var h = new FlowHarness(new FlowTableOptions { TcpIdleTimeout = TimeSpan.FromSeconds(300), UdpIdleTimeout = TimeSpan.FromSeconds(60) });
        if (transport == TransportProtocol.Tcp)
        {
            h.Tcp(Miner, Pool, TcpFlags.Psh | TcpFlags.Ack, 1, "x");
        }
        else
        {
            h.Udp(Miner, Pool, "x");
        }
        var lastSeen = h.Consumer.StartedFlows[0].LastSeenMicros;
        var timeout = timeoutSeconds * 1_000_000L;

        h.Table.ExpireIdle(lastSeen + timeout - 1);
        Assert.Empty(h.Consumer.Ended);

        // Another flow's packet carries the clock forward: no wall clock involved.
        h.Now = lastSeen + timeout;
        h.Udp(Endpoint.Of("10.9.9.9", 40000), Endpoint.Of("10.9.9.10", 53), "q");

        var ended = Assert.Single(h.Consumer.Ended);
        Assert.Equal((1L, FlowEndReason.Idle, lastSeen + timeout), (ended.Id, ended.Reason, ended.At));
        Assert.Equal(1, h.Counters.FlowsEndedIdle);
        Assert.Equal(1, h.Table.ActiveFlows);
    }

    [Fact]
    public void Keeps_ActiveFlows_AliveWhileOthersExpire()
    {
        var h = new FlowHarness(new FlowTableOptions { UdpIdleTimeout = TimeSpan.FromSeconds(10) });
        var quiet = Endpoint.Of("10.0.0.1", 40001);
        var busy = Endpoint.Of("10.0.0.2", 40002);
        h.Udp(quiet, Pool, "a");
        for (var i = 0; i < 15; i++)
        {
            h.Advance(TimeSpan.FromSeconds(1));
            h.Udp(busy, Pool, "b");
        }

        var ended = Assert.Single(h.Consumer.Ended);
        Assert.Equal(1, ended.Id);
        Assert.Equal(1, h.Table.ActiveFlows);
    }

    [Theory]
    [InlineData(true, FlowEndReason.Fin)]
    [InlineData(false, FlowEndReason.Reset)]
    public void Ends_ClosedFlow_AfterClosedTimeout(bool byFin, FlowEndReason expected)
    {
        var h = new FlowHarness(new FlowTableOptions { TcpClosedTimeout = TimeSpan.FromSeconds(10) });
        var c = h.Conversation(Miner, Pool).Handshake();
        c.ClientSends("bye");
        if (byFin)
        {
            c.ClientFin();
            c.ServerFin();
        }
        else
        {
            c.ClientRst();
        }

        h.Advance(TimeSpan.FromSeconds(9));
        h.Table.ExpireIdle(h.Now);
        Assert.Empty(h.Consumer.Ended);

        h.Advance(TimeSpan.FromSeconds(1));
        h.Table.ExpireIdle(h.Now);
        var ended = Assert.Single(h.Consumer.Ended);
        Assert.Equal(expected, ended.Reason);
        Assert.Equal(1, expected == FlowEndReason.Fin ? h.Counters.FlowsEndedFin : h.Counters.FlowsEndedReset);
        Assert.Equal(0, h.Table.ActiveFlows);
    }

    [Fact]
    public void Keeps_LateRetransmissionAfterFin_OnTheSameFlow()
    {
        var h = new FlowHarness();
        var c = h.Conversation(Miner, Pool).Handshake();
        c.ServerSends("job");
        c.ClientFin();
        c.ServerFin();
        c.ServerAt(0, "job");
        h.Tcp(Miner, Pool, TcpFlags.Ack, 1, ack: 1);

        Assert.Equal(1, h.Counters.FlowsCreated);
        Assert.Equal("job", h.Consumer.Stream(1, FlowDirection.ServerToClient));
        Assert.Equal(3, h.Counters.RetransmittedBytes);
    }

    [Fact]
    public void Ignores_LateAckAfterClosedFlowEnded()
    {
        var h = new FlowHarness(new FlowTableOptions { TcpClosedTimeout = TimeSpan.FromSeconds(1) });
        var c = h.Conversation(Endpoint.Of("10.0.0.5", 8333), Endpoint.Of("10.0.0.6", 8333)).Handshake();
        c.ClientFin();
        c.ServerFin();
        h.Advance(TimeSpan.FromSeconds(5));
        c.ServerAcks(1); // equal ports: a flow made from this would name the server as client

        Assert.Equal(1, h.Counters.FlowsCreated);
        Assert.Equal(0, h.Table.ActiveFlows);
        Assert.Equal(1, h.Counters.PacketsWithoutFlow);
    }

    [Fact]
    public void Starts_NewFlow_OnSynAfterClose()
    {
        var h = new FlowHarness();
        var first = h.Conversation(Miner, Pool).Handshake();
        first.ClientSends("a");
        first.ClientFin();
        first.ServerFin();

        var second = h.Conversation(Miner, Pool, clientIsn: 777_777, serverIsn: 5).Handshake();
        second.ClientSends("b");

        Assert.Equal(["end 1 Fin"], h.Consumer.Events.Where(e => e.StartsWith("end", StringComparison.Ordinal)));
        Assert.Equal(2, h.Counters.FlowsCreated);
        Assert.Equal("b", h.Consumer.Stream(2, FlowDirection.ClientToServer));
        Assert.True(h.Consumer.StartedFlows[1].OrientationFromSyn);
    }

    [Theory]
    [InlineData(TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData(TcpFlags.Ack)]
    public void Ignores_SegmentsWithoutSynOrPayload_WhenNoFlowMatches(TcpFlags flags)
    {
        var h = new FlowHarness();
        h.Tcp(Pool, Miner, flags, 1);

        Assert.Equal(0, h.Table.ActiveFlows);
        Assert.Equal(1, h.Counters.PacketsWithoutFlow);
        Assert.Empty(h.Consumer.Events);
    }

    [Fact]
    public void Ends_HalfClosedIdleFlow_AsFin()
    {
        var h = new FlowHarness(new FlowTableOptions { TcpIdleTimeout = TimeSpan.FromSeconds(30) });
        var c = h.Conversation(Miner, Pool).Handshake();
        c.ClientFin();
        h.Advance(TimeSpan.FromSeconds(31));
        h.Table.ExpireIdle(h.Now);

        Assert.Equal(FlowEndReason.Fin, Assert.Single(h.Consumer.Ended).Reason);
    }

    [Fact]
    public void Evicts_LeastRecentlySeenFlow_WhenFull()
    {
        var h = new FlowHarness(new FlowTableOptions { MaxFlows = 3 });
        var a = Endpoint.Of("10.0.0.1", 40001);
        var b = Endpoint.Of("10.0.0.2", 40002);
        var c = Endpoint.Of("10.0.0.3", 40003);
        h.Udp(a, Pool, "1");
        h.Tcp(b, Pool, TcpFlags.Syn, 1);
        h.Udp(c, Pool, "3");
        h.Udp(a, Pool, "1 again"); // b (TCP) is now the least recently seen

        h.Udp(Endpoint.Of("10.0.0.4", 40004), Pool, "4");
        Assert.Equal(2, Assert.Single(h.Consumer.Ended).Id);
        Assert.Equal(FlowEndReason.Capacity, h.Consumer.Ended[0].Reason);

        h.Udp(Endpoint.Of("10.0.0.5", 40005), Pool, "5");
        Assert.Equal(3, h.Consumer.Ended[1].Id);
        Assert.Equal(2, h.Counters.FlowsEvictedCapacity);
        Assert.Equal(3, h.Table.ActiveFlows);
    }

    [Fact]
    public void Ends_AllFlows_InCreationOrder()
    {
        var h = new FlowHarness();
        for (ushort i = 0; i < 4; i++)
        {
            h.Udp(Endpoint.Of("10.0.0.1", (ushort)(40000 + i)), Pool, "q");
        }
        h.Udp(Endpoint.Of("10.0.0.1", 40002), Pool, "touch"); // recency must not change the order
        h.Udp(Endpoint.Of("10.0.0.1", 40000), Pool, "touch");

        h.Table.EndAll(h.Now);

        Assert.Equal([1L, 2L, 3L, 4L], h.Consumer.Ended.Select(e => e.Id));
        Assert.All(h.Consumer.Ended, e => Assert.Equal(FlowEndReason.EndOfInput, e.Reason));
        Assert.Equal(4, h.Counters.FlowsEndedEndOfInput);
        Assert.Equal(0, h.Table.ActiveFlows);
    }

    [Fact]
    public void Reuses_FlowObject_WithFreshState()
    {
        var h = new FlowHarness();
        h.Tcp(Miner, Pool, TcpFlags.Syn, 1);
        var first = h.Consumer.StartedFlows[0];
        first.Attachment = "inspector state";
        first.WantsPayload = false;
        h.Table.EndAll(h.Now);

        var other = Endpoint.Of("10.5.5.5", 40000);
        h.Udp(other, Pool, "new");
        var second = h.Consumer.StartedFlows[1];

        Assert.Same(first, second);
        Assert.Equal(2, second.Id);
        Assert.Null(second.Attachment);
        Assert.True(second.WantsPayload);
        Assert.Equal(TransportProtocol.Udp, second.Transport);
        Assert.False(second.OrientationFromSyn);
        Assert.Equal((1L, 0L, 3L, 0L), (second.PacketsToServer, second.PacketsToClient, second.BytesToServer, second.BytesToClient));
        Assert.Equal(other, new Endpoint(second.ClientAddress, second.ClientPort));
        Assert.Equal("new", h.Consumer.Stream(2, FlowDirection.ClientToServer));
    }

    [Fact]
    public void Reports_FlowEnd_BeforeReusingTheObject()
    {
        var h = new FlowHarness();
        var c = h.Conversation(Miner, Pool).Handshake();
        c.ClientSends("abc");
        h.Table.EndAll(h.Now);

        var ended = Assert.Single(h.Consumer.Ended);
        Assert.Equal((3L, 1L, 3L), (ended.PacketsToServer, ended.PacketsToClient, ended.BytesToServer));
        Assert.Equal(Miner, ended.Client);
    }

    [Fact]
    public void Counts_PayloadOutsideFrame_AsInvalid()
    {
        var h = new FlowHarness();
        var packet = TestPackets.Tcp(Miner, Pool, TcpFlags.Ack, 1, 1, 100);
        h.Table.Process(packet, TestPackets.Frame("short"u8), h.Now);

        Assert.Equal(1, h.Counters.PacketsInvalid);
        Assert.Equal(0, h.Table.ActiveFlows);
    }
}
