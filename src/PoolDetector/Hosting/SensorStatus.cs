using PoolDetector.Core;
using PoolDetector.Core.Detection;

namespace PoolDetector.Hosting;

/// <summary>
/// What the running sensor tells its metrics as it happens. Implemented in Metrics/ with
/// prometheus-net (the only folder that knows it); calls come from the packet thread and
/// must not block.
/// </summary>
internal interface ISensorMetrics
{
    /// <summary>A mining, pool-contact or crypto-node flow was reported for the first time.</summary>
    void DetectionRaised(MiningDetection detection);

    /// <summary>Rules were loaded at start (<paramref name="reload"/> false) or on SIGHUP; on failure the old rules stay.</summary>
    void RulesLoaded(bool reload, bool success, int rulesInUse);

    /// <summary>An interface failed to open, went down or disappeared (it is retried).</summary>
    void InterfaceFailed(string interfaceName);
}

/// <summary>
/// State the metrics read at scrape time. Counters are written by one thread and read by
/// the scraper: 64-bit reads of aligned fields are atomic, and a scrape a packet behind is fine.
/// </summary>
internal sealed class SensorStatus
{
    public SensorStatus(IReadOnlyList<string> interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        Interfaces = [.. interfaces.Select(name => new InterfaceStatus(name))];
    }

    public IReadOnlyList<InterfaceStatus> Interfaces { get; }

    /// <summary>The engine, once started: its counters (packets decoded, flows, messages) are read directly.</summary>
    public Engine? Engine { get; set; }

    /// <summary>Hosts with a mining flow within the configured window: the headline number.</summary>
    public int MiningHosts { get; set; }
}

/// <summary>One capture interface's counters.</summary>
internal sealed class InterfaceStatus(string name)
{
    public string Name { get; } = name;
    public long PacketsCaptured;
    public long BytesCaptured;
    /// <summary>Frames dropped because the hand-off to the engine was full.</summary>
    public long QueueDropped;
    /// <summary>libpcap's cumulative ps_recv, ps_drop (kernel buffer full) and ps_ifdrop (interface).</summary>
    public long PcapReceived;
    public long PcapDropped;
    public long PcapInterfaceDropped;
    /// <summary>Capture time of the last packet, microseconds since the Unix epoch; 0 before any.</summary>
    public long LastPacketMicros;
    public bool Up;
}
