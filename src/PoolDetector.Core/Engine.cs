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
    private long _frameNumber;

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

    /// <summary>Where in the input the flow being reported ended; valid while a sink handles a detection reported at a flow's end.</summary>
    public FlowEndPosition ReportPosition => _flows.EndPosition;

    /// <summary>New flows are inspected with <paramref name="rules"/>; open flows finish with theirs. Call on the packet thread.</summary>
    public void ReplaceRules(RuleSet rules) => _detector.ReplaceRules(rules);

    /// <summary>
    /// Advances packet time without a packet (a quiet link): expires idle flows, so their
    /// detections are reported. Live capture calls it periodically with the wall clock.
    /// </summary>
    public void AdvanceTime(long timestampMicros) => AdvanceTime(timestampMicros, _frameNumber);

    /// <summary>
    /// Frame <paramref name="frameNumber"/> went to another engine (<c>analyze --workers</c>):
    /// flows idle at its time end here at the same point of the input as in a single engine.
    /// </summary>
    public void AdvanceTime(long timestampMicros, long frameNumber)
    {
        _frameNumber = frameNumber;
        if (timestampMicros > _lastTimestamp)
        {
            _lastTimestamp = timestampMicros;
        }
        _flows.ExpireIdle(_lastTimestamp, frameNumber);
    }

    /// <summary>Processes one captured frame. <paramref name="timestampMicros"/>: capture time, microseconds since the Unix epoch.</summary>
    public void ProcessFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
        ProcessFrame(linkType, frame, timestampMicros, _frameNumber + 1, shadow: false);

    /// <summary>
    /// Processes frame <paramref name="frameNumber"/> of the input (1-based, every frame
    /// counted, also those that went to other engines). A <paramref name="shadow"/> frame is
    /// another engine's, seen here only for what it teaches (see <see cref="Flow.Shadow"/>):
    /// not counted, never reported.
    /// </summary>
    public void ProcessFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros, long frameNumber, bool shadow)
    {
        var status = PacketDecoder.Decode(linkType, frame, out var packet);
        ProcessDecoded(status, packet, frame, timestampMicros, frameNumber, shadow);
    }

    /// <summary>
    /// <see cref="ProcessFrame(LinkType, ReadOnlySpan{byte}, long, long, bool)"/> for a frame the
    /// caller has decoded already (<paramref name="status"/> and <paramref name="packet"/> as
    /// <see cref="PacketDecoder.Decode"/> gave them): a worker decodes every frame to find its owner.
    /// </summary>
    public void ProcessDecoded(DecodeStatus status, in DecodedPacket packet, ReadOnlySpan<byte> frame, long timestampMicros, long frameNumber, bool shadow)
    {
        _frameNumber = frameNumber;
        if (!shadow)
        {
            Counters.Frames++;
            Counters.Bytes += frame.Length;
        }
        // Packet time drives expiry; a capture's clock can step back, so never go backwards.
        if (timestampMicros > _lastTimestamp)
        {
            _lastTimestamp = timestampMicros;
        }
        if (status != DecodeStatus.Ok)
        {
            if (!shadow)
            {
                Counters.NotDecoded[(int)status]++;
            }
            return;
        }
        if (!shadow)
        {
            Counters.Decoded++;
        }
        // The flow table expires idle flows itself, on this packet's time.
        _flows.Process(packet, frame, _lastTimestamp, frameNumber, shadow);
    }

    /// <summary>Ends all open flows (end of a capture file), reporting their detections.</summary>
    public void Finish() => _flows.EndAll(_lastTimestamp);
}
