namespace PoolDetector.Core.Protocols.Dns;

/// <summary>Why a DNS message was rejected. Every value but <see cref="Ok"/> is counted by the caller, never thrown.</summary>
public enum DnsParseStatus : byte
{
    Ok,
    /// <summary>The data ends inside the header, a name, a question or a record.</summary>
    Truncated,
    /// <summary>The header counts claim more questions and records than the data could hold, or the data ends between records while the counts say more follow.</summary>
    BadCount,
    /// <summary>A name follows more compression pointers than <see cref="DnsName.MaxPointerJumps"/> (a loop, or a chain built to waste work).</summary>
    CompressionLoop,
    /// <summary>A compression pointer aims at or past the end of the message.</summary>
    BadPointer,
    /// <summary>A name exceeds 255 bytes in wire form (RFC 1035 section 3.1), or the caller's buffer.</summary>
    NameTooLong,
    /// <summary>A label length byte uses the reserved 01/10 prefixes (the obsolete extended labels).</summary>
    BadLabel,
    /// <summary>A name has more than <see cref="DnsName.MaxLabels"/> labels.</summary>
    TooManyLabels,
    /// <summary>An A record whose RDLENGTH is not 4, an AAAA not 16, or a CNAME whose target does not fill its RDATA exactly.</summary>
    BadRecordLength,
}
