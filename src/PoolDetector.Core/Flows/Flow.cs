using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Flows;

/// <summary>
/// One bidirectional TCP or UDP conversation. Instances are pooled by the
/// <see cref="FlowTable"/>: do not keep a reference after <see cref="IFlowConsumer.OnFlowEnded"/>.
/// </summary>
public sealed class Flow
{
    /// <summary>
    /// The number of the frame that started the flow (the capture's first frame is 1, as
    /// Wireshark's <c>frame.number</c> counts): unique in a capture and the same however many
    /// workers analyse it; the EVE <c>flow_id</c>.
    /// </summary>
    public long Id { get; internal set; }

    /// <summary>The number of the flow's latest frame: its place in the expiry order.</summary>
    public long LastFrame { get; internal set; }

    /// <summary>
    /// A copy another worker owns (<c>analyze --workers</c>): DNS and DHCP flows are seen by
    /// every worker, so each keeps the answers and leases its own flows are judged by, but only
    /// the owner's copy is counted and reported.
    /// </summary>
    public bool Shadow { get; internal set; }

    public TransportProtocol Transport { get; internal set; }
    public ushort OuterVlan { get; internal set; }
    public ushort InnerVlan { get; internal set; }

    /// <summary>The SYN sender; without a SYN, the side with the ephemeral (higher) port.</summary>
    public IpAddress ClientAddress { get; internal set; }
    public ushort ClientPort { get; internal set; }
    public IpAddress ServerAddress { get; internal set; }
    public ushort ServerPort { get; internal set; }

    /// <summary>
    /// Each side's MAC as the first frame it sent carried it (<see cref="MacAddress.None"/> until
    /// then, or on links without MACs). Only a host on the sensor's own segment shows its own MAC;
    /// a host behind a router shows the router's.
    /// </summary>
    public MacAddress ClientMac { get; internal set; }
    public MacAddress ServerMac { get; internal set; }

    /// <summary>True when the client was identified by its SYN, false when inferred from ports.</summary>
    public bool OrientationFromSyn { get; internal set; }

    public long FirstSeenMicros { get; internal set; }
    public long LastSeenMicros { get; internal set; }

    public long PacketsToServer { get; internal set; }
    public long PacketsToClient { get; internal set; }
    /// <summary>Transport payload bytes sent by the client.</summary>
    public long BytesToServer { get; internal set; }
    public long BytesToClient { get; internal set; }

    /// <summary>Packets carrying payload (retransmissions included), for behaviour when the content is opaque.</summary>
    public long PayloadPacketsToServer { get; private set; }
    public long PayloadPacketsToClient { get; private set; }

    /// <summary>
    /// Exchanges each side opened: payload after at least <see cref="ExchangeSilenceMicros"/> of
    /// silence both ways. A pool pushing jobs opens exchanges from the server at a steady
    /// cadence; web traffic is opened by the client. Counted for every flow, payload wanted or not.
    /// </summary>
    public long ServerOpenedExchanges { get; private set; }
    public long ClientOpenedExchanges { get; private set; }

    public const long ExchangeSilenceMicros = 1_000_000;

    private long _lastPayloadMicros;

    internal void CountExchange(bool fromClient, long timestampMicros)
    {
        var opens = _lastPayloadMicros == 0 || timestampMicros - _lastPayloadMicros >= ExchangeSilenceMicros;
        if (fromClient)
        {
            PayloadPacketsToServer++;
            ClientOpenedExchanges += opens ? 1 : 0;
        }
        else
        {
            PayloadPacketsToClient++;
            ServerOpenedExchanges += opens ? 1 : 0;
        }
        if (timestampMicros > _lastPayloadMicros)
        {
            _lastPayloadMicros = timestampMicros;
        }
    }

    /// <summary>
    /// Set false by the consumer once no inspector wants more payload: the table then skips
    /// reassembly for this flow and only keeps counting packets (early exit).
    /// </summary>
    public bool WantsPayload { get; set; } = true;

    /// <summary>State the next stage attaches to the flow (it owns and pools it); cleared on reuse.</summary>
    public object? Attachment { get; set; }

    // Table bookkeeping below: intrusive links so expiry, eviction and EndAll need no
    // side collections, and per-direction streams that live as long as the pooled object.

    /// <summary>Which expiry list the flow is on (one per timeout, so each list is ordered by last-seen).</summary>
    internal byte ExpiryList;
    internal Flow? ExpiryPrev;
    internal Flow? ExpiryNext;

    /// <summary>Creation-order list, for a deterministic <see cref="FlowTable.EndAll"/>. Doubles as the free-list link.</summary>
    internal Flow? CreatedPrev;
    internal Flow? CreatedNext;

    /// <summary>Set on RST or FIN from both sides; the flow then lingers for late segments.</summary>
    internal FlowCloseState CloseState;

    internal readonly TcpStream ToServer = new();
    internal readonly TcpStream ToClient = new();

    internal void Reset()
    {
        Id = 0;
        LastFrame = 0;
        Shadow = false;
        Transport = default;
        OuterVlan = 0;
        InnerVlan = 0;
        ClientAddress = default;
        ClientPort = 0;
        ServerAddress = default;
        ServerPort = 0;
        ClientMac = default;
        ServerMac = default;
        OrientationFromSyn = false;
        FirstSeenMicros = 0;
        LastSeenMicros = 0;
        PacketsToServer = 0;
        PacketsToClient = 0;
        BytesToServer = 0;
        BytesToClient = 0;
        PayloadPacketsToServer = 0;
        PayloadPacketsToClient = 0;
        ServerOpenedExchanges = 0;
        ClientOpenedExchanges = 0;
        _lastPayloadMicros = 0;
        WantsPayload = true;
        Attachment = null;
        ExpiryList = 0;
        ExpiryPrev = null;
        ExpiryNext = null;
        CreatedPrev = null;
        CreatedNext = null;
        CloseState = FlowCloseState.Open;
        ToServer.Reset();
        ToClient.Reset();
    }
}

internal enum FlowCloseState : byte
{
    Open,
    Fin,
    Reset,
}
