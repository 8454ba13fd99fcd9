using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Protocols.StratumV2;
using PoolDetector.Core.Protocols.Tls;

namespace PoolDetector.Core.Detection;

/// <summary>How a flow's payload is framed, decided from its first bytes.</summary>
public enum FlowFraming : byte
{
    Undecided,
    /// <summary>Newline-delimited JSON: every Stratum-like dialect.</summary>
    JsonLines,
    Http,
    /// <summary>A TLS handshake: hellos and certificate are read, the rest is opaque.</summary>
    Tls,
    /// <summary>DNS: a message per UDP datagram, or length-prefixed messages over TCP.</summary>
    Dns,
    /// <summary>DHCPv4 or DHCPv6: a message per datagram, read for who holds which address (attribution, never a detection).</summary>
    Dhcp,
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
    public readonly TlsState Tls = new();
    /// <summary>DNS over TCP: a message may span segments.</summary>
    public readonly PooledBuffer[] DnsStream = [new(), new()];
    /// <summary>A TCP direction whose length prefixes did not make sense: not DNS after all.</summary>
    public readonly bool[] DnsAbandoned = new bool[2];
    /// <summary>Signals of pool contact, for flows whose content does not show mining.</summary>
    public readonly ContactEvidence Contact = new();
    /// <summary>Stratum V2's Noise handshake, recognised by its sizes (the content is encrypted).</summary>
    public readonly StratumV2ShapeState StratumV2 = new();
    /// <summary>Whether this flow's pool endpoint has been added to the learned pools.</summary>
    public bool Learned;
    /// <summary>The pool name DNS had given the client for the server's address when the flow started, if any.</summary>
    public string? DnsBoundName;

    /// <summary>Whether any inspector still wants this flow's payload.</summary>
    public bool WantsMorePayload => !(DirectionAbandoned(0) && DirectionAbandoned(1) && StratumV2.Settled && !Node.WantsPayload);

    public bool DirectionAbandoned(int direction) => Framing switch
    {
        FlowFraming.JsonLines => Lines[direction].Abandoned,
        FlowFraming.Http => Http[direction].Abandoned,
        FlowFraming.Tls => Tls.Status(direction) == TlsParseStatus.NotTls ? Lines[direction].Abandoned : Tls.Status(direction) != TlsParseStatus.NeedMore,
        FlowFraming.Dns => DnsAbandoned[direction],
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
        Tls.Reset();
        DnsStream[0].Release();
        DnsStream[1].Release();
        DnsAbandoned[0] = false;
        DnsAbandoned[1] = false;
        Contact.Reset();
        StratumV2.Reset();
        Learned = false;
        DnsBoundName = null;
    }
}
