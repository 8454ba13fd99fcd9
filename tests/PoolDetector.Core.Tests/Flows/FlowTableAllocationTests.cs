using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Flows;

public class FlowTableAllocationTests
{
    private const TcpFlags Data = TcpFlags.Psh | TcpFlags.Ack;

    [Fact]
    public void Allocates_Nothing_PerPacket_OnExistingFlows()
    {
        const int flows = 64;
        var consumer = new CountingConsumer();
        var table = new FlowTable(new FlowTableOptions(), consumer);
        var frame = TestPackets.Frame(new byte[200]);
        var server = Endpoint.Of("192.0.2.10", 3333);
        var clients = new Endpoint[flows];
        var clientSeq = new uint[flows];
        var serverSeq = new uint[flows];
        long now = FlowHarness.Start;
        for (var i = 0; i < flows; i++)
        {
            clients[i] = Endpoint.Of("10.0.0.1", (ushort)(40000 + i));
            clientSeq[i] = (uint)(i * 0x0400_0000) - 5000; // several flows wrap during the loop
            serverSeq[i] = (uint)(i * 7919);
            table.Process(TestPackets.Tcp(clients[i], server, TcpFlags.Syn, clientSeq[i]++, 0, 0), frame, now++);
            table.Process(TestPackets.Tcp(server, clients[i], TcpFlags.Syn | TcpFlags.Ack, serverSeq[i]++, clientSeq[i], 0), frame, now++);
        }

        void Round(int round)
        {
            for (var i = 0; i < flows; i++)
            {
                var c = clients[i];
                var cs = clientSeq[i];
                var ss = serverSeq[i];
                if (round % 10 == 9)
                {
                    // Lost segment: the server's ACK past it makes the table skip the hole.
                    table.Process(TestPackets.Tcp(c, server, Data, cs + 100, ss, 100), frame, now++);
                    table.Process(TestPackets.Tcp(server, c, TcpFlags.Ack, ss, cs + 200, 0), frame, now++);
                }
                else
                {
                    table.Process(TestPackets.Tcp(c, server, Data, cs + 100, ss, 100), frame, now++);  // ahead: held
                    table.Process(TestPackets.Tcp(c, server, Data, cs, ss, 100), frame, now++);        // fills the hole
                    table.Process(TestPackets.Tcp(c, server, Data, cs + 50, ss, 100), frame, now++);   // retransmission
                }
                table.Process(TestPackets.Tcp(server, c, Data, ss, cs + 200, 60), frame, now++);
                table.Process(TestPackets.Tcp(c, server, TcpFlags.Ack, cs + 200, ss + 60, 0), frame, now++);
                table.Process(TestPackets.Udp(c, server, 80), frame, now++);
                clientSeq[i] = cs + 200;
                serverSeq[i] = ss + 60;
            }
            table.ExpireIdle(now);
        }

        for (var round = 0; round < 20; round++)
        {
            Round(round);
        }
        var payloadBefore = consumer.Payload;
        var gapsBefore = consumer.Gaps;

        const int batches = 4, roundsPerBatch = 50; // each batch loses a segment per flow every tenth round
        var allocated = Allocations.LeastOver(batches, () =>
        {
            for (var round = 0; round < roundsPerBatch; round++)
            {
                Round(round);
            }
        });

        Assert.Equal(0, allocated);
        // Every byte sent once is either delivered or reported missing; resent bytes are neither.
        const long rounds = batches * roundsPerBatch;
        Assert.Equal(rounds * flows * (200 + 60 + 80), consumer.Payload - payloadBefore + consumer.Gaps - gapsBefore);
        Assert.Equal(rounds / 10 * flows * 100, consumer.Gaps - gapsBefore);
        Assert.Equal(0, consumer.Ended);
        Assert.True(table.Counters.OutOfOrderSegments > 0 && table.Counters.RetransmittedBytes > 0 && table.Counters.GapsAcked > 0);
    }

    [Fact]
    public void Allocates_Nothing_WhenFlowsChurnThroughThePool()
    {
        var consumer = new CountingConsumer();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 16 }, consumer);
        var frame = TestPackets.Frame(new byte[40]);
        var server = Endpoint.Of("192.0.2.53", 53);
        var clients = new Endpoint[64];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = Endpoint.Of("10.0.0.2", (ushort)(50000 + i));
        }
        long now = FlowHarness.Start;

        void Cycle()
        {
            foreach (var client in clients)
            {
                table.Process(TestPackets.Udp(client, server, 40), frame, now++);
                table.Process(TestPackets.Udp(server, client, 40), frame, now++);
            }
        }

        Cycle();
        Cycle();
        const int batches = 4, cyclesPerBatch = 25;
        var allocated = Allocations.LeastOver(batches, () =>
        {
            for (var i = 0; i < cyclesPerBatch; i++)
            {
                Cycle();
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal((2L + (batches * cyclesPerBatch)) * 64 - 16, table.Counters.FlowsEvictedCapacity);
    }
}
