using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;

namespace PoolDetector.Evidence;

/// <summary>
/// Which flow a frame belongs to, as the engine keys flows: VLAN ids + transport + both
/// endpoints, ordered so that both directions give the same key. A value type with its own
/// equality, so matching frames against the flows being recorded allocates nothing. (The
/// engine's own key is internal to it; this one is rebuilt from what it hands out.)
/// </summary>
internal readonly struct EvidenceFlowKey : IEquatable<EvidenceFlowKey>
{
    private readonly IpAddress _lowAddress;
    private readonly IpAddress _highAddress;
    private readonly ushort _lowPort;
    private readonly ushort _highPort;
    private readonly ushort _outerVlan;
    private readonly ushort _innerVlan;
    private readonly TransportProtocol _transport;

    private EvidenceFlowKey(IpAddress lowAddress, ushort lowPort, IpAddress highAddress, ushort highPort,
        TransportProtocol transport, ushort outerVlan, ushort innerVlan)
    {
        _lowAddress = lowAddress;
        _lowPort = lowPort;
        _highAddress = highAddress;
        _highPort = highPort;
        _transport = transport;
        _outerVlan = outerVlan;
        _innerVlan = innerVlan;
    }

    public static EvidenceFlowKey Create(IpAddress a, ushort aPort, IpAddress b, ushort bPort,
        TransportProtocol transport, ushort outerVlan, ushort innerVlan)
    {
        var c = a.CompareTo(b);
        return c < 0 || (c == 0 && aPort <= bPort)
            ? new EvidenceFlowKey(a, aPort, b, bPort, transport, outerVlan, innerVlan)
            : new EvidenceFlowKey(b, bPort, a, aPort, transport, outerVlan, innerVlan);
    }

    public static EvidenceFlowKey Of(in DecodedPacket packet) =>
        Create(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort,
            packet.Transport, packet.OuterVlan, packet.InnerVlan);

    public static EvidenceFlowKey Of(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var vlans = detection.Vlans;
        return Create(detection.MinerAddress, detection.MinerPort, detection.PoolAddress, detection.PoolPort, detection.Transport,
            vlans.Count > 0 ? vlans[0] : (ushort)0, vlans.Count > 1 ? vlans[1] : (ushort)0);
    }

    /// <summary>The key of a frame, when it decodes to TCP or UDP (the engine's decoder: the same packets, the same flows).</summary>
    public static bool TryOf(LinkType linkType, ReadOnlySpan<byte> frame, out EvidenceFlowKey key)
    {
        if (PacketDecoder.Decode(linkType, frame, out var packet) != DecodeStatus.Ok)
        {
            key = default;
            return false;
        }
        key = Of(packet);
        return true;
    }

    public bool Equals(EvidenceFlowKey other) =>
        _lowAddress == other._lowAddress
        && _highAddress == other._highAddress
        && _lowPort == other._lowPort
        && _highPort == other._highPort
        && _transport == other._transport
        && _outerVlan == other._outerVlan
        && _innerVlan == other._innerVlan;

    public override bool Equals(object? obj) => obj is EvidenceFlowKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_lowAddress, _highAddress, ((uint)_lowPort << 16) | _highPort,
        ((uint)_outerVlan << 16) | _innerVlan, _transport);

    public static bool operator ==(EvidenceFlowKey left, EvidenceFlowKey right) => left.Equals(right);
    public static bool operator !=(EvidenceFlowKey left, EvidenceFlowKey right) => !left.Equals(right);
}
