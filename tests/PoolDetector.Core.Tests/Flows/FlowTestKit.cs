using System.Text;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

internal readonly record struct Endpoint(IpAddress Address, ushort Port)
{
    public static Endpoint Of(string address, ushort port) => new(IpAddress.Parse(address), port);
}

/// <summary>Frames and matching <see cref="DecodedPacket"/>s built in memory, standing in for the decoder.</summary>
internal static class TestPackets
{
    /// <summary>Bytes in front of the payload, standing in for Ethernet + IP + TCP headers.</summary>
    public const int HeaderBytes = 54;

    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        frame.AsSpan(0, HeaderBytes).Fill(0xEE);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static DecodedPacket Tcp(Endpoint from, Endpoint to, TcpFlags flags, uint seq, uint ack, int payloadLength,
        ushort outerVlan = 0, ushort innerVlan = 0) => new()
    {
        Source = from.Address,
        SourcePort = from.Port,
        Destination = to.Address,
        DestinationPort = to.Port,
        Transport = TransportProtocol.Tcp,
        OuterVlan = outerVlan,
        InnerVlan = innerVlan,
        TcpFlags = flags,
        Sequence = seq,
        Acknowledgment = ack,
        PayloadOffset = HeaderBytes,
        PayloadLength = payloadLength,
    };

    public static DecodedPacket Udp(Endpoint from, Endpoint to, int payloadLength, ushort outerVlan = 0) => new()
    {
        Source = from.Address,
        SourcePort = from.Port,
        Destination = to.Address,
        DestinationPort = to.Port,
        Transport = TransportProtocol.Udp,
        OuterVlan = outerVlan,
        PayloadOffset = HeaderBytes,
        PayloadLength = payloadLength,
    };
}

/// <summary>What a flow looked like when it ended (the object itself is reused right after).</summary>
internal sealed record EndedFlow(long Id, FlowEndReason Reason, long At, long PacketsToServer, long PacketsToClient,
    long BytesToServer, long BytesToClient, Endpoint Client, Endpoint Server, bool OrientationFromSyn, FlowEndPosition Position);

/// <summary>
/// Records every call; payload per flow and direction is kept as text with gaps marked
/// <c>[gap N]</c>. Flows are named 1, 2, 3 in the order they started (their <see cref="Flow.Id"/>
/// is the number of the frame that started them, which tests need not count).
/// </summary>
internal sealed class RecordingConsumer : IFlowConsumer
{
    private readonly Dictionary<(long, FlowDirection), StringBuilder> _streams = [];
    private readonly Dictionary<long, long> _numberById = [];

    private long Number(Flow flow) => _numberById[flow.Id];

    public List<string> Events { get; } = [];
    public List<Flow> StartedFlows { get; } = [];
    public List<EndedFlow> Ended { get; } = [];

    /// <summary>The table calling, for <see cref="FlowTable.EndPosition"/>; set by the harness.</summary>
    public FlowTable? Table { get; set; }

    /// <summary>Runs after each payload is recorded: lets a test act as an inspector would.</summary>
    public Action<Flow, FlowDirection, string>? AfterPayload { get; set; }

    public string Stream(long flowId, FlowDirection direction) =>
        _streams.TryGetValue((flowId, direction), out var text) ? text.ToString() : "";

    public void OnFlowStarted(Flow flow, long timestampMicros)
    {
        StartedFlows.Add(flow);
        _numberById[flow.Id] = _numberById.Count + 1;
        Events.Add($"start {Number(flow)}");
    }

    public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        var text = Encoding.ASCII.GetString(payload);
        Builder(Number(flow), direction).Append(text);
        Events.Add($"data {Number(flow)} {Short(direction)} {text}");
        AfterPayload?.Invoke(flow, direction, text);
    }

    public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros)
    {
        Builder(Number(flow), direction).Append($"[gap {missingBytes}]");
        Events.Add($"gap {Number(flow)} {Short(direction)} {missingBytes}");
    }

    public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros)
    {
        Events.Add($"end {Number(flow)} {reason}");
        Ended.Add(new EndedFlow(Number(flow), reason, timestampMicros, flow.PacketsToServer, flow.PacketsToClient,
            flow.BytesToServer, flow.BytesToClient, new Endpoint(flow.ClientAddress, flow.ClientPort),
            new Endpoint(flow.ServerAddress, flow.ServerPort), flow.OrientationFromSyn, Table?.EndPosition ?? default));
    }

    private StringBuilder Builder(long flowId, FlowDirection direction)
    {
        if (!_streams.TryGetValue((flowId, direction), out var text))
        {
            text = new StringBuilder();
            _streams[(flowId, direction)] = text;
        }
        return text;
    }

    private static string Short(FlowDirection direction) => direction == FlowDirection.ClientToServer ? "c2s" : "s2c";
}

/// <summary>A flow table, a recording consumer and a packet clock that moves 1 ms per packet.</summary>
internal sealed class FlowHarness
{
    public const long Start = 1_600_000_000_000_000;

    public FlowHarness(FlowTableOptions? options = null)
    {
        Table = new FlowTable(options ?? new FlowTableOptions(), Consumer);
        Consumer.Table = Table;
    }

    public RecordingConsumer Consumer { get; } = new();
    public FlowTable Table { get; }
    public FlowCounters Counters => Table.Counters;
    public long Now { get; set; } = Start;

    public void Advance(TimeSpan span) => Now += span.Ticks / TimeSpan.TicksPerMicrosecond;

    public void Send(DecodedPacket packet, string payload = "", bool truncated = false)
    {
        var bytes = Encoding.ASCII.GetBytes(payload);
        packet.PayloadLength = bytes.Length;
        packet.PayloadTruncated = truncated;
        Table.Process(packet, TestPackets.Frame(bytes), Now);
        Now += 1000;
    }

    public void Tcp(Endpoint from, Endpoint to, TcpFlags flags, uint seq, string payload = "", uint ack = 0, ushort vlan = 0, ushort innerVlan = 0) =>
        Send(TestPackets.Tcp(from, to, flags, seq, ack, 0, vlan, innerVlan), payload);

    public void Udp(Endpoint from, Endpoint to, string payload, ushort vlan = 0) =>
        Send(TestPackets.Udp(from, to, 0, vlan), payload);

    public TcpConversation Conversation(Endpoint? client = null, Endpoint? server = null, uint clientIsn = 1000, uint serverIsn = 9000, ushort vlan = 0) =>
        new(this, client ?? Endpoint.Of("10.1.2.3", 51234), server ?? Endpoint.Of("192.0.2.10", 3333), clientIsn, serverIsn, vlan);
}

/// <summary>
/// One TCP connection with sequence bookkeeping. <c>*At(offset)</c> sends a segment at a stream
/// offset (0 = first data byte) without moving the in-order cursor, for reordering and loss.
/// </summary>
internal sealed class TcpConversation(FlowHarness harness, Endpoint client, Endpoint server, uint clientIsn, uint serverIsn, ushort vlan)
{
    private const TcpFlags Data = TcpFlags.Psh | TcpFlags.Ack;

    public Endpoint Client { get; } = client;
    public Endpoint Server { get; } = server;
    /// <summary>Stream offset of the next in-order byte each side sends.</summary>
    public uint ClientOffset { get; private set; }
    public uint ServerOffset { get; private set; }

    private uint ClientSeq(uint offset) => clientIsn + 1 + offset;
    private uint ServerSeq(uint offset) => serverIsn + 1 + offset;

    public TcpConversation Handshake()
    {
        harness.Tcp(Client, Server, TcpFlags.Syn, clientIsn, vlan: vlan);
        harness.Tcp(Server, Client, TcpFlags.Syn | TcpFlags.Ack, serverIsn, ack: clientIsn + 1, vlan: vlan);
        harness.Tcp(Client, Server, TcpFlags.Ack, ClientSeq(0), ack: ServerSeq(0), vlan: vlan);
        return this;
    }

    public void ClientSends(string text)
    {
        ClientAt(ClientOffset, text);
        ClientOffset += (uint)text.Length;
    }

    public void ServerSends(string text)
    {
        ServerAt(ServerOffset, text);
        ServerOffset += (uint)text.Length;
    }

    public void ClientAt(uint offset, string text, bool truncated = false) =>
        harness.Send(TestPackets.Tcp(Client, Server, Data, ClientSeq(offset), ServerSeq(ServerOffset), 0, vlan), text, truncated);

    public void ServerAt(uint offset, string text) =>
        harness.Send(TestPackets.Tcp(Server, Client, Data, ServerSeq(offset), ClientSeq(ClientOffset), 0, vlan), text);

    /// <summary>The server acknowledges client bytes up to <paramref name="offset"/>.</summary>
    public void ServerAcks(uint offset) =>
        harness.Tcp(Server, Client, TcpFlags.Ack, ServerSeq(ServerOffset), ack: ClientSeq(offset), vlan: vlan);

    public void ClientFin() =>
        harness.Tcp(Client, Server, TcpFlags.Fin | TcpFlags.Ack, ClientSeq(ClientOffset), ack: ServerSeq(ServerOffset), vlan: vlan);

    public void ServerFin() =>
        harness.Tcp(Server, Client, TcpFlags.Fin | TcpFlags.Ack, ServerSeq(ServerOffset), ack: ClientSeq(ClientOffset), vlan: vlan);

    public void ClientRst() =>
        harness.Tcp(Client, Server, TcpFlags.Rst, ClientSeq(ClientOffset), vlan: vlan);
}
