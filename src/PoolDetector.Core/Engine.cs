using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core;

public sealed class EngineOptions
{
    public FlowTableOptions Flows { get; set; } = new();

    /// <summary>Offline: at flow end. Live: on verdict, then at flow end again (see <see cref="DetectionReporting"/>).</summary>
    public DetectionReporting Reporting { get; set; } = DetectionReporting.AtFlowEnd;

    /// <summary>Who is internal: orients detections and names their hosts (see <see cref="Detection.HomeNetworks"/>). None by default.</summary>
    public HomeNetworks HomeNetworks { get; set; } = HomeNetworks.None;
}

/// <summary>Packets in, by outcome. One writer (the packet thread).</summary>
public sealed class EngineCounters
{
    public long Frames;
    public long Bytes;
    public long Decoded;
    /// <summary>Frames that did not decode to TCP/UDP, indexed by <see cref="DecodeStatus"/>.</summary>
    public readonly long[] NotDecoded = new long[Enum.GetValues<DecodeStatus>().Length];
}

/// <summary>
/// The whole data path for one capture source: decode → flow table → inspectors → detector.
/// Single-threaded; feed frames in capture order.
/// </summary>
public sealed class Engine
{
    private readonly FlowTable _flows;
    private readonly Detector _detector;
    private long _lastTimestamp;

    /// <param name="learned">Pool endpoints learned before (the daemon keeps them across restarts); null starts empty.</param>
    public Engine(RuleSet rules, EngineOptions options, IDetectionSink sink, LearnedPools? learned = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        _detector = new Detector(rules, sink, options.Reporting, learned, options.HomeNetworks);
        _flows = new FlowTable(options.Flows, _detector);
    }

    public EngineCounters Counters { get; } = new();

    public FlowCounters FlowCounters => _flows.Counters;

    public InspectionCounters InspectionCounters => _detector.Counters;

    public long Detections => _detector.Detections;

    /// <summary>Detections the allowlist kept from being reported.</summary>
    public long Allowlisted => _detector.Allowlisted;

    /// <summary>Pool endpoints learned from confirmed mining sessions. Touch only on the packet thread.</summary>
    public LearnedPools Learned => _detector.Learned;

    /// <summary>Addresses DNS gave clients for pool names, still held.</summary>
    public DnsAnswerCache DnsAnswers => _detector.DnsAnswers;

    /// <summary>Verdicts per internal host and pool endpoint, still held.</summary>
    public HostPoolHistory History => _detector.History;

    /// <summary>Who held which address under which name, from DHCP, still held.</summary>
    public DhcpLeases Dhcp => _detector.Dhcp;

    public int ActiveFlows => _flows.ActiveFlows;

    /// <summary>Out-of-order TCP bytes the flow table holds now, all flows together (bounded by <see cref="FlowTableOptions.MaxBufferedBytesTotal"/>).</summary>
    public long BufferedBytes => _flows.BufferedBytes;

    public RuleSet Rules => _detector.Rules;

    /// <summary>New flows are inspected with <paramref name="rules"/>; open flows finish with theirs. Call on the packet thread.</summary>
    public void ReplaceRules(RuleSet rules) => _detector.ReplaceRules(rules);

    /// <summary>
    /// Advances packet time without a packet (a quiet link): expires idle flows, so their
    /// detections are reported. Live capture calls it periodically with the wall clock.
    /// </summary>
    public void AdvanceTime(long timestampMicros)
    {
        if (timestampMicros > _lastTimestamp)
        {
            _lastTimestamp = timestampMicros;
        }
        _flows.ExpireIdle(_lastTimestamp);
    }

    /// <summary>Processes one captured frame. <paramref name="timestampMicros"/>: capture time, microseconds since the Unix epoch.</summary>
    public void ProcessFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        Counters.Frames++;
        Counters.Bytes += frame.Length;
        // Packet time drives expiry; a capture's clock can step back, so never go backwards.
        if (timestampMicros > _lastTimestamp)
        {
            _lastTimestamp = timestampMicros;
        }
        var status = PacketDecoder.Decode(linkType, frame, out var packet);
        if (status != DecodeStatus.Ok)
        {
            Counters.NotDecoded[(int)status]++;
            return;
        }
        Counters.Decoded++;
        // The flow table expires idle flows itself, on this packet's time.
        _flows.Process(packet, frame, _lastTimestamp);
    }

    /// <summary>Ends all open flows (end of a capture file), reporting their detections.</summary>
    public void Finish() => _flows.EndAll(_lastTimestamp);
}
