using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Flows;

/// <summary>
/// Consumes without allocating, so a measurement sees only the flow table: the allocation
/// tests' and the benchmarks' (bench/PoolDetector.Benchmarks links this file).
/// </summary>
internal sealed class CountingConsumer : IFlowConsumer
{
    public long Payload;
    public long Gaps;
    public long Ended;

    public void OnFlowStarted(Flow flow, long timestampMicros) { }
    public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros) => Payload += payload.Length;
    public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros) => Gaps += missingBytes;
    public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros) => Ended++;
}
