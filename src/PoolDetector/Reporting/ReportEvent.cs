using System.Net;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Reporting;

/// <summary>
/// One PoolDetector alert as the report needs it, read back from the EVE contract
/// (DESIGN.md, "Events"): the flow's identity, the verdict, what the traffic named, the
/// flow's counts and times, attribution and evidence files when the event carries them.
/// </summary>
internal sealed record ReportEvent
{
    /// <summary>The events file and line it came from, for messages.</summary>
    public required string SourceFile { get; init; }
    public required long SourceLine { get; init; }

    public long FlowId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>The internal host (the miner), parsed so hosts sort and match CIDRs by address, not by text.</summary>
    public required IPAddress Source { get; init; }
    public int SourcePort { get; init; }
    /// <summary>The pool (or node peer).</summary>
    public required IPAddress Destination { get; init; }
    public int DestinationPort { get; init; }
    public string Protocol { get; init; } = "";
    /// <summary>VLAN ids outermost first, written <c>100;20</c> as in pcaps/expected-flows.csv; empty when untagged.</summary>
    public string Vlans { get; init; } = "";

    public required DetectionCategory Category { get; init; }
    public required Confidence Confidence { get; init; }
    public string Dialect { get; init; } = "";
    public string? Agent { get; init; }
    public string? Worker { get; init; }
    public string? PoolHost { get; init; }
    public long SharesSubmitted { get; init; }
    public long SharesAccepted { get; init; }

    /// <summary>The flow's first and last packet; the event's timestamp when the event has no flow block.</summary>
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public long Packets { get; init; }
    public long Bytes { get; init; }

    public string? Mac { get; init; }
    public string? Hostname { get; init; }
    public string? Department { get; init; }
    public string? Owner { get; init; }
    public string? Contact { get; init; }

    /// <summary>The evidence capture the sensor wrote for this flow (<c>mining.pcap</c>).</summary>
    public string? EvidencePcap { get; init; }
    public string? EvidenceSha256 { get; init; }
    /// <summary>The capture an offline <c>analyze</c> read the flow from (Suricata's <c>pcap_filename</c>).</summary>
    public string? PcapFilename { get; init; }

    /// <summary>
    /// Which flow this event reports. The daemon may report a flow twice (a live alert, then
    /// a final event with the flow's end counts) and nothing in the event says which is which,
    /// so events are merged on this key. The first packet's time is part of it because flow
    /// ids restart with every daemon start and every file <c>analyze</c> reads.
    /// </summary>
    public (long FlowId, IPAddress Source, int SourcePort, IPAddress Destination, int DestinationPort, string Protocol, long FirstSeenTicks) FlowKey =>
        (FlowId, Source, SourcePort, Destination, DestinationPort, Protocol, FirstSeen.UtcTicks);
}
