using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Flows;

/// <summary>
/// One bidirectional TCP or UDP conversation. Instances are pooled by the
/// <see cref="FlowTable"/>: do not keep a reference after <see cref="IFlowConsumer.OnFlowEnded"/>.
/// </summary>
public sealed class Flow
{
    /// <summary>Unique per table, increasing in order of creation; the EVE <c>flow_id</c>.</summary>
    public long Id { get; internal set; }

    public TransportProtocol Transport { get; internal set; }
    public ushort OuterVlan { get; internal set; }
    public ushort InnerVlan { get; internal set; }

    /// <summary>The SYN sender; without a SYN, the side with the ephemeral (higher) port.</summary>
    public IpAddress ClientAddress { get; internal set; }
    public ushort ClientPort { get; internal set; }
    public IpAddress ServerAddress { get; internal set; }
    public ushort ServerPort { get; internal set; }

    /// <summary>True when the client was identified by its SYN, false when inferred from ports.</summary>
    public bool OrientationFromSyn { get; internal set; }

    public long FirstSeenMicros { get; internal set; }
    public long LastSeenMicros { get; internal set; }

    public long PacketsToServer { get; internal set; }
    public long PacketsToClient { get; internal set; }
    /// <summary>Transport payload bytes sent by the client.</summary>
    public long BytesToServer { get; internal set; }
    public long BytesToClient { get; internal set; }

    /// <summary>
    /// Set false by the consumer once no inspector wants more payload: the table then skips
    /// reassembly for this flow and only keeps counting packets (early exit).
    /// </summary>
    public bool WantsPayload { get; set; } = true;

    /// <summary>State the next stage attaches to the flow (it owns and pools it); cleared on reuse.</summary>
    public object? Attachment { get; set; }
}
