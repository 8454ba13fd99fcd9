using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Flows;

/// <summary>
/// VLAN + transport + both endpoints, with the endpoints ordered so that both directions of
/// a conversation produce the same key. A value type with its own equality so dictionary
/// lookups neither box nor allocate.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly IpAddress _lowAddress;
    private readonly IpAddress _highAddress;
    private readonly ushort _lowPort;
    private readonly ushort _highPort;
    private readonly ushort _outerVlan;
    private readonly ushort _innerVlan;
    private readonly TransportProtocol _transport;

    private FlowKey(IpAddress lowAddress, ushort lowPort, IpAddress highAddress, ushort highPort,
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

    public static FlowKey Create(IpAddress a, ushort aPort, IpAddress b, ushort bPort,
        TransportProtocol transport, ushort outerVlan, ushort innerVlan)
    {
        var c = a.CompareTo(b);
        return c < 0 || (c == 0 && aPort <= bPort)
            ? new FlowKey(a, aPort, b, bPort, transport, outerVlan, innerVlan)
            : new FlowKey(b, bPort, a, aPort, transport, outerVlan, innerVlan);
    }

    public static FlowKey Of(in DecodedPacket packet) =>
        Create(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort,
            packet.Transport, packet.OuterVlan, packet.InnerVlan);

    /// <summary>Rebuilt from the flow rather than stored on it: saves a key's worth of memory per flow.</summary>
    internal static FlowKey Of(Flow flow) =>
        Create(flow.ClientAddress, flow.ClientPort, flow.ServerAddress, flow.ServerPort,
            flow.Transport, flow.OuterVlan, flow.InnerVlan);

    public bool Equals(FlowKey other) =>
        _lowAddress.Low == other._lowAddress.Low
        && _highAddress.Low == other._highAddress.Low
        && _lowPort == other._lowPort
        && _highPort == other._highPort
        && _lowAddress.High == other._lowAddress.High
        && _highAddress.High == other._highAddress.High
        && _lowAddress.IsV4 == other._lowAddress.IsV4
        && _highAddress.IsV4 == other._highAddress.IsV4
        && _transport == other._transport
        && _outerVlan == other._outerVlan
        && _innerVlan == other._innerVlan;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_lowAddress.Low);
        hash.Add(_highAddress.Low);
        hash.Add(_lowAddress.High ^ _highAddress.High);
        hash.Add(((uint)_lowPort << 16) | _highPort);
        hash.Add(((uint)_outerVlan << 16) | _innerVlan);
        hash.Add((byte)_transport);
        return hash.ToHashCode();
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);
    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
