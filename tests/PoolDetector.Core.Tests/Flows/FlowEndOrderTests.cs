using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

/// <summary>
/// What makes several flow tables (<c>analyze --workers</c>) report in one table's order: flow
/// ids are frame numbers, flows due at the same frame end in the order of their last frames
/// whatever list they are on, and every end says where in the input it happened.
/// </summary>
public class FlowEndOrderTests
{
    private static readonly Endpoint Client = Endpoint.Of("10.0.0.5", 40000);
    private static readonly Endpoint Pool = Endpoint.Of("203.0.113.5", 3333);
    private static readonly Endpoint Resolver = Endpoint.Of("10.0.0.1", 53);

    [Fact]
    public void A_flow_id_is_the_number_of_the_frame_that_started_it()
    {
        var h = new FlowHarness();
        var frame = TestPackets.Frame([]);
        h.Table.Process(TestPackets.Tcp(Client, Pool, TcpFlags.Syn, 1000, 0, 0), frame, h.Now, frameNumber: 41);
        h.Table.Process(TestPackets.Tcp(Pool, Client, TcpFlags.Syn | TcpFlags.Ack, 9000, 1001, 0), frame, h.Now, frameNumber: 43);
        h.Table.Process(TestPackets.Tcp(Client with { Port = 40001 }, Pool, TcpFlags.Syn, 1000, 0, 0), frame, h.Now, frameNumber: 44);

        Assert.Equal([41L, 44L], h.Consumer.StartedFlows.Select(f => f.Id));
        Assert.Equal(43, h.Consumer.StartedFlows[0].LastFrame);
    }

    [Fact]
    public void Flows_due_at_one_frame_end_in_the_order_of_their_last_frames_across_lists()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var h = new FlowHarness(new FlowTableOptions { TcpIdleTimeout = timeout, UdpIdleTimeout = timeout, TcpClosedTimeout = timeout });
        // Frames 1-3: a TCP handshake; 4-5: a DNS exchange (the UDP list); 6: a SYN alone (the
        // payload-less list); 7: the first TCP flow's data, so it is now the latest of the three.
        var tcp = h.Conversation(Client, Pool).Handshake();
        h.Udp(Client with { Port = 50000 }, Resolver, "query");
        h.Udp(Resolver, Client with { Port = 50000 }, "answer");
        h.Tcp(Client with { Port = 40002 }, Pool, TcpFlags.Syn, 5000);
        tcp.ClientSends("job");

        h.Advance(TimeSpan.FromMinutes(5));
        h.Udp(Client with { Port = 50001 }, Resolver, "later"); // frame 8

        var ends = h.Consumer.Ended;
        Assert.Equal(3, ends.Count);
        // The DNS flow (last frame 5), the SYN (6), the TCP flow (7): not list by list.
        Assert.Equal([Resolver.Port, Pool.Port, Pool.Port], ends.Select(e => e.Server.Port));
        Assert.Equal([40002, 40000], ends.Skip(1).Select(e => (int)e.Client.Port));
        Assert.All(ends, e => Assert.Equal((8L, FlowEndStep.Expiry), (e.Position.Frame, e.Position.Step)));
        Assert.Equal([5L, 6L, 7L], ends.Select(e => e.Position.FlowFrame));
    }

    [Fact]
    public void The_end_of_input_ends_flows_in_the_order_they_started()
    {
        var h = new FlowHarness();
        h.Udp(Client with { Port = 50000 }, Resolver, "query");
        h.Conversation(Client, Pool).Handshake().ClientSends("login");
        h.Table.EndAll(h.Now);

        Assert.Equal([1L, 2L], h.Consumer.Ended.Select(e => e.Position.FlowFrame));
        Assert.All(h.Consumer.Ended, e => Assert.Equal((long.MaxValue, FlowEndStep.EndOfInput), (e.Position.Frame, e.Position.Step)));
        Assert.True(FlowEndPosition.Compare(new(9, FlowEndStep.Frame, 0), new(9, FlowEndStep.Expiry, 8)) > 0, "a frame's expiries come before the frame itself");
        Assert.True(FlowEndPosition.Compare(new(9, FlowEndStep.Expiry, 3), new(10, FlowEndStep.Expiry, 1)) < 0);
    }
}
