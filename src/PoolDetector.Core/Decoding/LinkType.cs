namespace PoolDetector.Core.Decoding;

/// <summary>
/// Link-layer header types, numbered as the pcap LINKTYPE_ registry numbers them, so a
/// capture file's header maps straight onto this enum.
/// </summary>
public enum LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    Null = 0,
    Ethernet = 1,
    /// <summary>
    /// PPP (RFC 1661): optional address and control bytes (0xFF 0x03, RFC 1662), then a 1- or 2-byte
    /// protocol field. Some routers write Cisco HDLC frames under this number; they are read as such.
    /// </summary>
    Ppp = 9,
    /// <summary>PPP in HDLC-like framing (RFC 1662) on serial links, or Cisco HDLC, told apart by the first byte.</summary>
    PppHdlc = 50,
    /// <summary>DLT_RAW as some BSDs number it (12) and as others do (14) both map here.</summary>
    Raw = 101,
    /// <summary>OpenBSD loopback: like <see cref="Null"/> but the family is big-endian.</summary>
    /// <summary>Cisco HDLC: address (0x0F unicast, 0x8F broadcast), control 0x00, then an EtherType.</summary>
    CiscoHdlc = 104,
    Loop = 108,
    /// <summary>Linux cooked capture v1 (captures on the <c>any</c> interface).</summary>
    LinuxSll = 113,
    /// <summary>Raw IPv4 only (libpcap's definition): an IPv6 packet under this link type is malformed.</summary>
    Ipv4 = 228,
    /// <summary>Raw IPv6 only: an IPv4 packet under this link type is malformed.</summary>
    Ipv6 = 229,
    /// <summary>Linux cooked capture v2.</summary>
    LinuxSll2 = 276,
}

public static class LinkTypes
{
    /// <summary>Maps a pcap header's link type number onto <see cref="LinkType"/>; false when unsupported.</summary>
    public static bool TryFromPcap(int value, out LinkType linkType)
    {
        linkType = value switch
        {
            0 => LinkType.Null,
            1 => LinkType.Ethernet,
            9 => LinkType.Ppp,
            50 => LinkType.PppHdlc,
            12 or 14 or 101 => LinkType.Raw,
            104 => LinkType.CiscoHdlc,
            108 => LinkType.Loop,
            113 => LinkType.LinuxSll,
            228 => LinkType.Ipv4,
            229 => LinkType.Ipv6,
            276 => LinkType.LinuxSll2,
            _ => (LinkType)(-1),
        };
        return (int)linkType >= 0;
    }
}
