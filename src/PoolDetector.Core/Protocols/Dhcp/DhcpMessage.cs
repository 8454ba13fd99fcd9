using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Protocols.Dhcp;

/// <summary>Why a DHCP datagram was rejected. Every value but <see cref="Ok"/> is counted by the caller, never thrown.</summary>
public enum DhcpParseStatus : byte
{
    Ok,
    /// <summary>Shorter than the fixed header (236 bytes and the magic cookie for DHCPv4, 4 bytes for DHCPv6, 34 for a relay message).</summary>
    Truncated,
    /// <summary>A DHCPv4 datagram without the magic cookie 99.130.83.99: BOOTP or not DHCP at all.</summary>
    BadMagic,
    /// <summary>An option whose length runs past the end of its area (or of the option that holds it).</summary>
    OptionPastEnd,
    /// <summary>Option 52 (overload) with a value other than 1, 2 or 3.</summary>
    BadOverload,
    /// <summary>DHCPv6 relay messages nested deeper than <see cref="DhcpParser.MaxRelayDepth"/>, or a relay message without the message it relays.</summary>
    BadRelay,
}

/// <summary>What a DHCP message means for who holds an address.</summary>
public enum DhcpKind : byte
{
    /// <summary>Offers, NAKs, advertisements, reconfigure: nothing is held because of them.</summary>
    Other,
    /// <summary>A client asking (DISCOVER, REQUEST, INFORM; Solicit, Request, Renew, Rebind, Information-request): the name it gives is kept until the server commits.</summary>
    ClientRequest,
    /// <summary>The server commits an address to the client: DHCPACK, or a DHCPv6 Reply.</summary>
    Commit,
    /// <summary>The client gives the address back (RELEASE, DECLINE; DHCPv6 Release, Decline).</summary>
    Release,
}

/// <summary>
/// One DHCPv4 or DHCPv6 message as <see cref="DhcpParser"/> found it: spans into the datagram,
/// so parsing allocates nothing. Only the fields attribution needs are read.
/// </summary>
public ref struct DhcpMessage
{
    public bool IsV6;
    /// <summary>The message type as sent: option 53 for DHCPv4, the msg-type byte for DHCPv6 (of the innermost relayed message).</summary>
    public byte MessageType;
    public DhcpKind Kind;
    /// <summary>xid (DHCPv4, 32 bits) or transaction-id (DHCPv6, 24 bits): a reply carries its request's.</summary>
    public uint TransactionId;
    /// <summary>chaddr when htype is Ethernet, or the link-layer address in a DHCPv6 DUID-LL/LLT; none otherwise.</summary>
    public MacAddress ClientMac;
    /// <summary>DHCPv4 ciaddr: set when the client already holds the address (renewing, releasing); 0.0.0.0 otherwise.</summary>
    public IpAddress ClientAddress;
    /// <summary>DHCPv4 yiaddr, or the first address of a DHCPv6 IA_NA; valid when <see cref="HasAssignedAddress"/>.</summary>
    public IpAddress AssignedAddress;
    public bool HasAssignedAddress;
    /// <summary>Option 51 (lease time) or the IA address's valid lifetime, seconds; 0xFFFFFFFF is infinite.</summary>
    public uint LeaseSeconds;
    public bool HasLeaseTime;
    /// <summary>Option 12, raw.</summary>
    public ReadOnlySpan<byte> HostName;
    /// <summary>The domain name of option 81 (DHCPv4) or 39 (DHCPv6), raw.</summary>
    public ReadOnlySpan<byte> Fqdn;
    /// <summary>Whether <see cref="Fqdn"/> is in DNS wire format (DHCPv6 always; DHCPv4 when the E flag is set) rather than ASCII.</summary>
    public bool FqdnIsWireFormat;
}
