namespace PoolDetector.Core.Flows;

/// <summary>What the flow table did, cumulative. Plain fields: one writer (the table), read after or between packets.</summary>
public sealed class FlowCounters
{
    public long FlowsCreated;
    public long FlowsEndedFin;
    public long FlowsEndedReset;
    public long FlowsEndedIdle;
    /// <summary>Evicted because the table was at <see cref="FlowTableOptions.MaxFlows"/>.</summary>
    public long FlowsEvictedCapacity;
    public long FlowsEndedEndOfInput;
    /// <summary>Duplicate TCP bytes dropped (retransmissions, overlaps).</summary>
    public long RetransmittedBytes;
    /// <summary>Segments held out of order and later delivered.</summary>
    public long OutOfOrderSegments;
    /// <summary>Out-of-order segments dropped because the window was full.</summary>
    public long OutOfOrderDropped;
    /// <summary>Gaps skipped and the bytes they covered.</summary>
    public long Gaps;
    public long GapBytes;
}
