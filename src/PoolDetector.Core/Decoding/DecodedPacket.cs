namespace PoolDetector.Core.Decoding;

public enum TransportProtocol : byte
{
    Tcp = 6,
    Udp = 17,
}

[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
}

/// <summary>Why a frame did not yield a TCP or UDP packet. Every value but <see cref="Ok"/> is counted, never thrown.</summary>
public enum DecodeStatus : byte
{
    Ok,
    /// <summary>A header claims more bytes than the frame holds.</summary>
    Truncated,
    UnsupportedLinkType,
    /// <summary>Not IPv4 or IPv6 (ARP, LLDP, ...).</summary>
    NotIp,
    /// <summary>IP, but neither TCP nor UDP (ICMP, ESP, GRE, ...).</summary>
    NotTcpOrUdp,
    /// <summary>An IPv4 or IPv6 fragment: counted and skipped; reassembly is out of scope.</summary>
    Fragment,
    /// <summary>A header field that cannot be right (IHL below 5, TCP data offset below 5, ...).</summary>
    Malformed,
}

/// <summary>
/// One TCP or UDP packet as the decoder found it: addresses, ports, VLAN tags, TCP
/// sequence state, and where the transport payload lies inside the original frame.
/// A plain struct over offsets so decoding allocates nothing.
/// </summary>
public struct DecodedPacket
{
    public IpAddress Source;
    public IpAddress Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public TransportProtocol Transport;
    /// <summary>Outer 802.1Q/802.1ad VLAN id, 0 when untagged.</summary>
    public ushort OuterVlan;
    /// <summary>Inner VLAN id of a QinQ frame, 0 when there is none.</summary>
    public ushort InnerVlan;
    public TcpFlags TcpFlags;
    public uint Sequence;
    public uint Acknowledgment;
    /// <summary>Offset of the transport payload in the frame.</summary>
    public int PayloadOffset;
    /// <summary>Payload length, from the IP length fields and clipped to the captured bytes (Ethernet padding excluded).</summary>
    public int PayloadLength;
    /// <summary>True when the IP length says there was more payload than the capture kept (snaplen).</summary>
    public bool PayloadTruncated;
    /// <summary>
    /// The sender's MAC: Ethernet's source address, or the Linux cooked header's link-layer address
    /// when it is an Ethernet one; <see cref="MacAddress.None"/> when the link type has none.
    /// </summary>
    public MacAddress SourceMac;
    /// <summary>The receiver's MAC from an Ethernet header; the Linux cooked headers do not record it.</summary>
    public MacAddress DestinationMac;
}
