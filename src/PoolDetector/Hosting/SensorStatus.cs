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

    /// <summary>The learned pools file was written (<paramref name="success"/>), or could not be (it is retried).</summary>
    void LearnedPoolsSaved(bool success);

    // Evidence captures (Evidence/), from the evidence writer's task. Bodies here so that
    // metrics that do not count evidence (test doubles) need not say so.

    /// <summary>An evidence capture of <paramref name="bytes"/> was completed and hashed.</summary>
    void EvidenceWritten(long bytes)
    {
    }

    /// <summary>An evidence capture could not be written (disk full, no packets held); its file was removed.</summary>
    void EvidenceFailed()
    {
    }

    /// <summary>
    /// The evidence queue was full: <paramref name="files"/> detections got no capture, or
    /// <paramref name="frames"/> frames were left out of a capture being written.
    /// </summary>
    void EvidenceDropped(long files, long frames)
    {
    }

    /// <summary>Retention deleted <paramref name="files"/> evidence files, for their age or for the disk budget.</summary>
    void EvidenceDeleted(bool forAge, int files)
    {
    }

    /// <summary>Evidence files take <paramref name="bytes"/> on disk now (after a write or a retention sweep).</summary>
    void EvidenceStored(long bytes)
    {
    }
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

    /// <summary>The detector's memories, as the engine thread last published them.</summary>
    public MemoryStatus Memory { get; } = new();

    /// <summary>The recent-packet store evidence captures start from, when evidence is on: its counters are read directly.</summary>
    public Evidence.RecentPacketStore? EvidenceBuffer { get; set; }

    /// <summary>What the alert outputs (syslog, webhook) and the block list counted.</summary>
    public PoolDetector.Outputs.OutputStatus Outputs { get; } = new();
}

/// <summary>
/// The sizes of the detector's memories (DNS answers, learned pools, host history, DHCP leases). Those
/// are plain collections only the packet thread may touch, so that thread copies their
/// counts here (<see cref="Publish"/>) and the scraper reads the copies.
/// </summary>
internal sealed class MemoryStatus
{
    public long DnsAnswers;
    public long DnsAnswersEvicted;
    public long LearnedPools;
    public long LearnedPoolsEvicted;
    public long HostHistory;
    public long HostHistoryEvicted;
    public long DhcpLeases;
    public long DhcpLeasesEvicted;

    /// <summary>Packet thread only.</summary>
    public void Publish(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Volatile.Write(ref DnsAnswers, engine.DnsAnswers.Count);
        Volatile.Write(ref DnsAnswersEvicted, engine.DnsAnswers.Evicted);
        Volatile.Write(ref LearnedPools, engine.Learned.Count);
        Volatile.Write(ref LearnedPoolsEvicted, engine.Learned.Evicted);
        Volatile.Write(ref HostHistory, engine.History.Count);
        Volatile.Write(ref HostHistoryEvicted, engine.History.Evicted);
        Volatile.Write(ref DhcpLeases, engine.Dhcp.Count);
        Volatile.Write(ref DhcpLeasesEvicted, engine.Dhcp.Evicted);
    }
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
