namespace PoolDetector.Core.Flows;

/// <summary>
/// What the flow table hands to the next stage. Calls arrive in packet order on one
/// thread; <paramref name="timestampMicros"/> is packet time (microseconds since the Unix
/// epoch), never the wall clock, so offline runs are deterministic.
/// </summary>
public interface IFlowConsumer
{
    void OnFlowStarted(Flow flow, long timestampMicros);

    /// <summary>
    /// In-order payload of one direction: TCP bytes after reassembly (retransmissions removed),
    /// or one UDP datagram. The span is only valid during the call.
    /// </summary>
    void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros);

    /// <summary>Bytes of one TCP direction that were never seen (loss, capture started mid-stream past the window): the stream resumes after them.</summary>
    void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros);

    /// <summary>The flow is gone; after this call the <see cref="Flow"/> object is reused for another flow.</summary>
    void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros);
}
