using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core;

public sealed class EngineOptions
{
    public FlowTableOptions Flows { get; set; } = new();
}

/// <summary>Packets in, by outcome. One writer (the packet thread).</summary>
public sealed class EngineCounters
{
    public long Frames;
    public long Bytes;
    public long Decoded;
    /// <summary>Frames that did not decode to TCP/UDP, indexed by <see cref="DecodeStatus"/>.</summary>
    public readonly long[] NotDecoded = new long[Enum.GetValues<DecodeStatus>().Length];
    public long Detections;
}

/// <summary>
/// The whole data path for one capture source: decode → flow table → inspectors → detector.
/// Single-threaded; feed frames in capture order.
/// </summary>
public sealed class Engine
{
    public Engine(RuleSet rules, EngineOptions options, IDetectionSink sink)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        throw new NotImplementedException();
    }

    public EngineCounters Counters { get; } = new();

    public FlowCounters FlowCounters { get; } = new();

    /// <summary>Processes one captured frame. <paramref name="timestampMicros"/>: capture time, microseconds since the Unix epoch.</summary>
    public void ProcessFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => throw new NotImplementedException();

    /// <summary>Ends all open flows (end of a capture file), reporting their detections.</summary>
    public void Finish() => throw new NotImplementedException();
}
