using BenchmarkDotNet.Attributes;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Tests.Flows;

namespace PoolDetector.Benchmarks;

/// <summary>
/// <see cref="FlowTable.Process"/> on decoded packets, with a consumer that only counts (so the
/// table alone is measured), driven as tests/PoolDetector.Core.Tests/Flows/FlowTableAllocationTests.cs
/// drives it. One operation is one packet. The packets are built as the decoder would leave
/// them: sequence numbers must move on from one invocation to the next, so they cannot come
/// from a capture replayed in a loop.
/// </summary>
[MemoryDiagnoser]
public class FlowTableBenchmarks
{
    /// <summary>Established flows the steady-state benchmarks cycle through.</summary>
    private const int Flows = 1024;
    /// <summary>Short connections opened and closed per invocation of the churn benchmark.</summary>
    private const int Connections = 128;
    /// <summary>Clients cycling through a table too small for them in the UDP churn benchmark.</summary>
    private const int UdpClients = 64;
    private const int UdpMaxFlows = 16;
    /// <summary>Bytes in front of the payload, standing in for Ethernet + IPv4 + TCP headers.</summary>
    private const int HeaderBytes = 54;
    private const int ClientBytes = 100;
    private const int ServerBytes = 60;
    private const TcpFlags Data = TcpFlags.Psh | TcpFlags.Ack;

    private static readonly IpAddress Server = IpAddress.Parse("192.0.2.10");
    private const ushort ServerPort = 3333;

    private readonly byte[] _frame = new byte[HeaderBytes + ClientBytes];
    private readonly CountingConsumer _consumer = new();
    private FlowTable _table = null!;
    private DecodedPacket[] _toServer = [];
    private DecodedPacket[] _toClient = [];
    private uint[] _clientSeq = [];
    private uint[] _serverSeq = [];
    private long _now = 1_600_000_000_000_000;
    private int _round;
    private int _connection;

    /// <summary><paramref name="flows"/> client/server packet templates, the clients on consecutive ports of 10.0.0.1.</summary>
    private void CreateEndpoints(int flows, TransportProtocol transport, FlowTableOptions options)
    {
        _table = new FlowTable(options, _consumer);
        _toServer = new DecodedPacket[flows];
        _toClient = new DecodedPacket[flows];
        _clientSeq = new uint[flows];
        _serverSeq = new uint[flows];
        var client = IpAddress.Parse("10.0.0.1");
        for (var i = 0; i < flows; i++)
        {
            var port = (ushort)(20000 + i);
            _toServer[i] = new DecodedPacket
            {
                Source = client, SourcePort = port, Destination = Server, DestinationPort = ServerPort,
                Transport = transport, PayloadOffset = HeaderBytes,
            };
            _toClient[i] = new DecodedPacket
            {
                Source = Server, SourcePort = ServerPort, Destination = client, DestinationPort = port,
                Transport = transport, PayloadOffset = HeaderBytes,
            };
            // Spread over the sequence space, so some flows wrap during a run.
            _clientSeq[i] = (uint)i * 0x0040_0000;
            _serverSeq[i] = (uint)i * 7919;
        }
    }

    private void Send(in DecodedPacket template, TcpFlags flags, uint seq, uint ack, int length, long step = 1)
    {
        var packet = template;
        packet.TcpFlags = flags;
        packet.Sequence = seq;
        packet.Acknowledgment = ack;
        packet.PayloadLength = length;
        _table.Process(packet, _frame, _now += step);
    }

    /// <summary>Every flow opened with a handshake: the steady-state benchmarks start on established flows.</summary>
    [GlobalSetup(Targets = [nameof(InOrder), nameof(OutOfOrderAndRetransmissions)])]
    public void SetupEstablished()
    {
        CreateEndpoints(Flows, TransportProtocol.Tcp, new FlowTableOptions());
        for (var i = 0; i < Flows; i++)
        {
            var cs = _clientSeq[i];
            var ss = _serverSeq[i];
            Send(_toServer[i], TcpFlags.Syn, cs, 0, 0);
            Send(_toClient[i], TcpFlags.Syn | TcpFlags.Ack, ss, cs + 1, 0);
            Send(_toServer[i], TcpFlags.Ack, cs + 1, ss + 1, 0);
            _clientSeq[i] = cs + 1;
            _serverSeq[i] = ss + 1;
        }
    }

    /// <summary>Request, response, ACK on each of the established flows: the in-order fast path.</summary>
    [Benchmark(OperationsPerInvoke = 3 * Flows)]
    public long InOrder()
    {
        for (var i = 0; i < Flows; i++)
        {
            var cs = _clientSeq[i];
            var ss = _serverSeq[i];
            Send(_toServer[i], Data, cs, ss, ClientBytes);
            Send(_toClient[i], Data, ss, cs + ClientBytes, ServerBytes);
            Send(_toServer[i], TcpFlags.Ack, cs + ClientBytes, ss + ServerBytes, 0);
            _clientSeq[i] = cs + ClientBytes;
            _serverSeq[i] = ss + ServerBytes;
        }
        return _consumer.Payload;
    }

    /// <summary>
    /// Five packets per flow: a segment ahead of the stream (held), the one it waits for, a
    /// retransmission, the response and an ACK. One flow in ten loses the segment instead: the
    /// server's ACK past the hole makes the table skip it, and the sender then retransmits the
    /// held segment.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 5 * Flows)]
    public long OutOfOrderAndRetransmissions()
    {
        _round++;
        for (var i = 0; i < Flows; i++)
        {
            var cs = _clientSeq[i];
            var ss = _serverSeq[i];
            Send(_toServer[i], Data, cs + ClientBytes, ss, ClientBytes);
            if ((i + _round) % 10 == 9)
            {
                Send(_toClient[i], TcpFlags.Ack, ss, cs + (2 * ClientBytes), 0);
                Send(_toServer[i], Data, cs + ClientBytes, ss, ClientBytes);
            }
            else
            {
                Send(_toServer[i], Data, cs, ss, ClientBytes);
                Send(_toServer[i], Data, cs + (ClientBytes / 2), ss, ClientBytes);
            }
            Send(_toClient[i], Data, ss, cs + (2 * ClientBytes), ServerBytes);
            Send(_toServer[i], TcpFlags.Ack, cs + (2 * ClientBytes), ss + ServerBytes, 0);
            _clientSeq[i] = cs + (2 * ClientBytes);
            _serverSeq[i] = ss + ServerBytes;
        }
        return _consumer.Payload + _consumer.Gaps;
    }

    [GlobalSetup(Target = nameof(ShortTcpConnections))]
    public void SetupShortConnections()
    {
        CreateEndpoints(16_384, TransportProtocol.Tcp, new FlowTableOptions());
        // Past the first closed timeout: from here on as many flows end as start.
        for (var i = 0; i < 10; i++)
        {
            ShortTcpConnections();
        }
    }

    /// <summary>
    /// Flow churn on TCP: each connection is a handshake, a request, a response and both FINs
    /// (8 packets), from the next port of 16,384. Packets are 10 ms apart, so each closed flow
    /// ends by the closed timeout (10 s) about 125 connections later: the table creates and
    /// ends a flow per 8 packets, its pooled Flow objects reused.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 8 * Connections)]
    public long ShortTcpConnections()
    {
        const long step = 10_000;
        for (var n = 0; n < Connections; n++)
        {
            var i = _connection++ % _toServer.Length;
            var cs = _clientSeq[i] += 0x0100_0000;
            var ss = _serverSeq[i] += 0x0100_0000;
            Send(_toServer[i], TcpFlags.Syn, cs, 0, 0, step);
            Send(_toClient[i], TcpFlags.Syn | TcpFlags.Ack, ss, cs + 1, 0, step);
            Send(_toServer[i], TcpFlags.Ack, cs + 1, ss + 1, 0, step);
            Send(_toServer[i], Data, cs + 1, ss + 1, ClientBytes, step);
            Send(_toClient[i], Data, ss + 1, cs + 1 + ClientBytes, ServerBytes, step);
            Send(_toServer[i], TcpFlags.Fin | TcpFlags.Ack, cs + 1 + ClientBytes, ss + 1 + ServerBytes, 0, step);
            Send(_toClient[i], TcpFlags.Fin | TcpFlags.Ack, ss + 1 + ServerBytes, cs + 2 + ClientBytes, 0, step);
            Send(_toServer[i], TcpFlags.Ack, cs + 2 + ClientBytes, ss + 2 + ServerBytes, 0, step);
        }
        return _consumer.Ended;
    }

    [GlobalSetup(Target = nameof(UdpEvictionAtCapacity))]
    public void SetupUdpEviction()
    {
        CreateEndpoints(UdpClients, TransportProtocol.Udp, new FlowTableOptions { MaxFlows = UdpMaxFlows });
        UdpEvictionAtCapacity();
    }

    /// <summary>
    /// Flow churn at the table's cap: 64 clients send a datagram each and get one back, through a
    /// table of 16 flows, so every query creates a flow and evicts the least recently seen one.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 2 * UdpClients)]
    public long UdpEvictionAtCapacity()
    {
        for (var i = 0; i < UdpClients; i++)
        {
            Send(_toServer[i], TcpFlags.None, 0, 0, 40);
            Send(_toClient[i], TcpFlags.None, 0, 0, 40);
        }
        return _table.Counters.FlowsEvictedCapacity;
    }
}
