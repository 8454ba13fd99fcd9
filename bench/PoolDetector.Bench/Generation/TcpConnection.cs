using System.Buffers.Binary;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// One TCP connection between a campus client and a server, packet by packet: Linux-like SYN
/// options (MSS, SACK permitted, timestamps, window scale), timestamps on every segment,
/// sequence and acknowledgement numbers that add up, FIN or RST teardown. The iterator methods
/// write one frame per step and yield the microseconds until the next, so the scheduler can
/// interleave thousands of connections (a step may also just wait: it yields without writing).
/// </summary>
internal sealed class TcpConnection
{
    private const byte Fin = 0x01;
    private const byte Syn = 0x02;
    private const byte Rst = 0x04;
    private const byte Psh = 0x08;
    private const byte Ack = 0x10;

    private readonly FrameWriter _writer;
    private uint _clientNext;
    private uint _serverNext;
    private ushort _clientIpId;
    private ushort _serverIpId;
    private readonly uint _clientClockOffset;
    private readonly uint _serverClockOffset;

    public TcpConnection(FrameWriter writer, Host client, ushort clientPort, Server server, ushort serverPort, Random random, long roundTrip)
    {
        _writer = writer;
        Client = client;
        ClientPort = clientPort;
        Server = server;
        ServerPort = serverPort;
        RoundTrip = roundTrip;
        _clientNext = (uint)random.NextInt64(uint.MaxValue);
        _serverNext = (uint)random.NextInt64(uint.MaxValue);
        _clientIpId = (ushort)random.Next(ushort.MaxValue);
        _serverIpId = (ushort)random.Next(ushort.MaxValue);
        _clientClockOffset = (uint)random.NextInt64(uint.MaxValue);
        _serverClockOffset = (uint)random.NextInt64(uint.MaxValue);
    }

    public Host Client { get; }

    public ushort ClientPort { get; }

    public Server Server { get; }

    public ushort ServerPort { get; }

    /// <summary>Microseconds from the tap to the server and back (the campus side is close).</summary>
    public long RoundTrip { get; }

    /// <summary>Payload bytes per segment: Ethernet's 1500 less IP, TCP and the timestamps option.</summary>
    public int Mss => Client.IsIpv6 ? 1500 - 40 - 32 : 1500 - 20 - 32;

    /// <summary>SYN, SYN-ACK, ACK.</summary>
    public IEnumerable<long> Handshake()
    {
        Segment(fromClient: true, Syn, [], synOptions: true);
        yield return RoundTrip;
        Segment(fromClient: false, Syn | Ack, [], synOptions: true);
        yield return 60;
        Segment(fromClient: true, Ack, []);
        yield return 150;
    }

    /// <summary>
    /// <paramref name="data"/> from one side in segments of at most <see cref="Mss"/> bytes,
    /// <paramref name="gap"/> apart, the peer acknowledging every second segment and the last.
    /// </summary>
    public IEnumerable<long> Send(bool fromClient, ReadOnlyMemory<byte> data, long gap = 40)
    {
        var unacknowledged = 0;
        for (var offset = 0; offset < data.Length; offset += Mss)
        {
            var length = Math.Min(Mss, data.Length - offset);
            var last = offset + length == data.Length;
            Segment(fromClient, last ? (byte)(Psh | Ack) : Ack, data.Span.Slice(offset, length));
            unacknowledged++;
            yield return gap;
            if (unacknowledged == 2 || last)
            {
                Segment(!fromClient, Ack, []);
                unacknowledged = 0;
                yield return gap;
            }
        }
    }

    /// <summary>One message in one segment, and the peer's acknowledgement half a round trip later (or never: <paramref name="acknowledged"/> false, the peer's answer will carry it).</summary>
    public IEnumerable<long> Message(bool fromClient, ReadOnlyMemory<byte> message, bool acknowledged = true)
    {
        Segment(fromClient, Psh | Ack, message.Span);
        if (!acknowledged)
        {
            yield return 0;
            yield break;
        }
        yield return Math.Max(RoundTrip / 2, 100);
        Segment(!fromClient, Ack, []);
        yield return 0;
    }

    /// <summary>Orderly close: FIN, FIN-ACK, ACK, started by either side.</summary>
    public IEnumerable<long> Close(bool byClient)
    {
        Segment(byClient, Fin | Ack, []);
        yield return RoundTrip / 2 + 30;
        Segment(!byClient, Fin | Ack, []);
        yield return RoundTrip / 2 + 30;
        Segment(byClient, Ack, []);
        yield return 0;
    }

    /// <summary>An abort, as browsers do to connections they no longer want.</summary>
    public IEnumerable<long> Reset(bool byClient)
    {
        Segment(byClient, Rst | Ack, []);
        yield return 0;
    }

    private void Segment(bool fromClient, int flags, ReadOnlySpan<byte> payload, bool synOptions = false)
    {
        Span<byte> options = stackalloc byte[20];
        var now = (uint)(_writer.Now / 1000);
        var ownClock = now + (fromClient ? _clientClockOffset : _serverClockOffset);
        var peerClock = now + (fromClient ? _serverClockOffset : _clientClockOffset);
        int optionsLength;
        if (synOptions)
        {
            // Linux's SYN: MSS, SACK permitted, timestamps, NOP, window scale 7.
            options[0] = 2;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options[2..], (ushort)(Mss + 12));
            options[4] = 4;
            options[5] = 2;
            options[6] = 8;
            options[7] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(options[8..], ownClock);
            BinaryPrimitives.WriteUInt32BigEndian(options[12..], fromClient ? 0 : peerClock);
            options[16] = 1;
            options[17] = 3;
            options[18] = 3;
            options[19] = 7;
            optionsLength = 20;
        }
        else
        {
            options[0] = 1;
            options[1] = 1;
            options[2] = 8;
            options[3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(options[4..], ownClock);
            BinaryPrimitives.WriteUInt32BigEndian(options[8..], peerClock);
            optionsLength = 12;
        }

        var sequence = fromClient ? _clientNext : _serverNext;
        var acknowledgement = (flags & Ack) != 0 ? (fromClient ? _serverNext : _clientNext) : 0u;
        var ipId = fromClient ? _clientIpId++ : _serverIpId++;
        var window = (flags & Syn) != 0 ? (ushort)64240 : fromClient ? (ushort)502 : (ushort)509;
        var header = new TcpHeader(
            fromClient ? ClientPort : ServerPort,
            fromClient ? ServerPort : ClientPort,
            sequence,
            acknowledgement,
            (byte)flags,
            window,
            ipId);
        _writer.WriteTcp(Client, Server.Host, fromClient, header, options[..optionsLength], payload);

        var consumed = (uint)payload.Length + ((flags & (Syn | Fin)) != 0 ? 1u : 0u);
        if (fromClient)
        {
            _clientNext += consumed;
        }
        else
        {
            _serverNext += consumed;
        }
    }
}
