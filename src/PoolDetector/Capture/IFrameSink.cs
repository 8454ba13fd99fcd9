using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>Receives frames from a capture source. The span is only valid during the call.</summary>
internal interface IFrameSink
{
    void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros);
}
