using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Core.Protocols.Stratum;

namespace PoolDetector.Core.Detection;

/// <summary>How a flow's payload is framed, decided from its first bytes.</summary>
public enum FlowFraming : byte
{
    Undecided,
    /// <summary>Newline-delimited JSON: every Stratum-like dialect.</summary>
    JsonLines,
    Http,
    /// <summary>Nothing we inspect; payload no longer wanted.</summary>
    None,
}

/// <summary>Per-flow inspection state, attached to the flow and pooled by the detector.</summary>
public sealed class FlowInspection
{
    public FlowFraming Framing;
    /// <summary>The rules and inspectors this flow started with.</summary>
    public InspectionContext? Context;
    /// <summary>Whether the flow was reported before it ended (live reporting).</summary>
    public bool Reported;
    public readonly FlowEvidence Evidence = new();
    public readonly LineState[] Lines = [new(), new()];
    public readonly HttpState[] Http = [new(), new()];
    public PendingRequests Pending;
    /// <summary>Node P2P headers seen at the start of each direction (crypto-node, never mining).</summary>
    public readonly NodeP2pState Node = new();
    public readonly long[] BytesInspected = new long[2];

    public bool DirectionAbandoned(int direction) => Framing switch
    {
        FlowFraming.JsonLines => Lines[direction].Abandoned,
        FlowFraming.Http => Http[direction].Abandoned,
        FlowFraming.None => true,
        _ => false,
    };

    public void Reset()
    {
        Framing = FlowFraming.Undecided;
        Context = null;
        Reported = false;
        Evidence.Reset();
        Lines[0].Reset();
        Lines[1].Reset();
        Http[0].Reset();
        Http[1].Reset();
        Pending.Clear();
        Node.Reset();
        BytesInspected[0] = 0;
        BytesInspected[1] = 0;
    }
}
