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
    /// <summary>
    /// The part of <see cref="FlowsEvictedCapacity"/> that had carried no payload in either
    /// direction (SYN-only, scans, bare handshakes): evicted first. The rest were the least
    /// recently seen flows overall, evicted only when no payload-less flow was left.
    /// </summary>
    public long FlowsEvictedWithoutPayload;
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
    /// <summary>Gaps skipped because the out-of-order window was full (a subset of <see cref="Gaps"/>).</summary>
    public long GapsWindowFull;
    /// <summary>Gaps skipped because the table as a whole held <see cref="FlowTableOptions.MaxBufferedBytesTotal"/>.</summary>
    public long GapsTableFull;
    /// <summary>Gaps skipped because the peer acknowledged data past them, so they will not be resent.</summary>
    public long GapsAcked;
    /// <summary>Gaps skipped because out-of-order data waited longer than <see cref="FlowTableOptions.OutOfOrderTimeout"/>.</summary>
    public long GapsTimedOut;
    /// <summary>Gaps skipped when the flow ended, including bytes missing before a FIN.</summary>
    public long GapsAtEnd;
    /// <summary>Gaps skipped after a segment cut short by the snap length.</summary>
    public long GapsTruncated;
    /// <summary>TCP payload at or past a direction's FIN, dropped: a stream has nothing after its FIN.</summary>
    public long BytesAfterFin;
    /// <summary>A TCP RST, or a segment with neither SYN nor payload, that matched no flow: not worth a new flow.</summary>
    public long PacketsWithoutFlow;
    /// <summary>Packets that were neither TCP nor UDP or whose payload lay outside the frame.</summary>
    public long PacketsInvalid;
}
