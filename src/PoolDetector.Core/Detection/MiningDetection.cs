using PoolDetector.Core.Decoding;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection;

public enum Confidence
{
    /// <summary>Intel or behaviour only.</summary>
    Low,
    /// <summary>One strong signal, such as a single mining message.</summary>
    Medium,
    /// <summary>Protocol confirmed: several mining messages, or a request and its mining-shaped reply.</summary>
    High,
}

public static class DetectionNames
{
    public static string ToWireName(this Confidence confidence) => confidence switch
    {
        Confidence.Low => "low",
        Confidence.Medium => "medium",
        Confidence.High => "high",
        _ => throw new ArgumentOutOfRangeException(nameof(confidence)),
    };
}

/// <summary>
/// One detected flow, everything the event contract (DESIGN.md, "Events") needs.
/// The miner is always the flow's client side, the pool its server side.
/// </summary>
public sealed record MiningDetection
{
    public required long FlowId { get; init; }
    /// <summary>Packet time at which the verdict was first reached, microseconds since the Unix epoch.</summary>
    public required long TimestampMicros { get; init; }

    public required IpAddress MinerAddress { get; init; }
    public required ushort MinerPort { get; init; }
    public required IpAddress PoolAddress { get; init; }
    public required ushort PoolPort { get; init; }
    public required TransportProtocol Transport { get; init; }
    /// <summary>VLAN ids outermost first; empty when untagged.</summary>
    public required IReadOnlyList<ushort> Vlans { get; init; }

    /// <summary>EVE <c>app_proto</c>: <c>stratum</c>, <c>http</c>, ...</summary>
    public required string AppProtocol { get; init; }
    public required DetectionCategory Category { get; init; }
    /// <summary><c>stratum-v1</c>, <c>ethereumstratum-v1</c>, <c>cryptonote</c>, <c>getwork</c>, ... (rules/signatures.yml).</summary>
    public required string Dialect { get; init; }
    public required Confidence Confidence { get; init; }
    /// <summary>What led to the verdict, in the order it was seen: method names and shape checks.</summary>
    public required IReadOnlyList<string> Evidence { get; init; }

    public required int SignatureId { get; init; }
    public required int SignatureRevision { get; init; }
    public required string Signature { get; init; }
    /// <summary>EVE severity: 1 is the most severe.</summary>
    public required int Severity { get; init; }

    public string? Agent { get; init; }
    /// <summary>The worker or login name: for most pools the wallet address, optionally followed by a rig name.</summary>
    public string? Worker { get; init; }
    public string? Algorithm { get; init; }
    public string? PoolHost { get; init; }
    public long SharesSubmitted { get; init; }
    public long SharesAccepted { get; init; }

    public long FirstSeenMicros { get; init; }
    public long LastSeenMicros { get; init; }
    public long PacketsToServer { get; init; }
    public long PacketsToClient { get; init; }
    public long BytesToServer { get; init; }
    public long BytesToClient { get; init; }

    /// <summary>Who the internal host is (MAC, DHCP name, inventory unit), when attribution knows; null otherwise.</summary>
    public HostAttribution? Host { get; init; }

    /// <summary>The evidence capture of this flow (path as the sink wrote it), when evidence is written.</summary>
    public string? EvidencePcap { get; init; }

    /// <summary>SHA-256 of <see cref="EvidencePcap"/>, lowercase hex, once the file is complete.</summary>
    public string? EvidenceSha256 { get; init; }

    /// <summary>True when reported at the end of the flow (counts final); false for a live alert while it runs.</summary>
    public bool FlowEnded { get; init; } = true;

    /// <summary>True when this flow was already reported live: this report only brings the final counts.</summary>
    public bool ReportedBefore { get; init; }

    /// <summary>The same detection with miner and pool swapped, and the counts of each direction with them.</summary>
    public MiningDetection TurnedRound() => this with
    {
        MinerAddress = PoolAddress,
        MinerPort = PoolPort,
        PoolAddress = MinerAddress,
        PoolPort = MinerPort,
        PacketsToServer = PacketsToClient,
        PacketsToClient = PacketsToServer,
        BytesToServer = BytesToClient,
        BytesToClient = BytesToServer,
    };
}

/// <summary>
/// The internal host behind a detection: its MAC address and name as seen on the wire (DHCP),
/// and the unit responsible for it from the operator's inventory. Every field may be unknown.
/// </summary>
public sealed record HostAttribution
{
    /// <summary>The host's MAC address, <c>aa:bb:cc:dd:ee:ff</c>, when the capture carries Ethernet.</summary>
    public string? Mac { get; init; }
    /// <summary>The name the host gave in DHCP (option 12 or 81, DHCPv6 FQDN) while it held the address.</summary>
    public string? Hostname { get; init; }
    /// <summary>The inventory's department for the host's network (most specific CIDR wins).</summary>
    public string? Department { get; init; }
    public string? Owner { get; init; }
    public string? Contact { get; init; }
}

/// <summary>When the detector reports a mining flow.</summary>
public enum DetectionReporting
{
    /// <summary>Once, when the flow ends, with final counts: offline analysis.</summary>
    AtFlowEnd,
    /// <summary>As soon as the verdict is firm (live alert), and again at flow end with <see cref="MiningDetection.ReportedBefore"/> set.</summary>
    OnVerdict,
}

/// <summary>Receives detections from the engine, on the packet thread: keep it quick.</summary>
public interface IDetectionSink
{
    void OnDetection(MiningDetection detection);
}
