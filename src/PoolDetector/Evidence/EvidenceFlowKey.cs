using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;

namespace PoolDetector.Evidence;

/// <summary>
/// Which flow a frame or a detection belongs to, in the engine's own key (<see cref="FlowKey"/>:
/// VLAN ids, transport, both endpoints, either direction), so the evidence of a flow is exactly
/// the frames the engine counted in it. A value type: matching frames allocates nothing.
/// </summary>
internal static class EvidenceFlowKey
{
    public static FlowKey Of(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var vlans = detection.Vlans;
        return FlowKey.Create(detection.MinerAddress, detection.MinerPort, detection.PoolAddress, detection.PoolPort, detection.Transport,
            vlans.Count > 0 ? vlans[0] : (ushort)0, vlans.Count > 1 ? vlans[1] : (ushort)0);
    }

    /// <summary>The key of a frame, when it decodes to TCP or UDP (the engine's decoder: the same packets, the same flows).</summary>
    public static bool TryOf(LinkType linkType, ReadOnlySpan<byte> frame, out FlowKey key)
    {
        if (PacketDecoder.Decode(linkType, frame, out var packet) != DecodeStatus.Ok)
        {
            key = default;
            return false;
        }
        key = FlowKey.Of(packet);
        return true;
    }
}
