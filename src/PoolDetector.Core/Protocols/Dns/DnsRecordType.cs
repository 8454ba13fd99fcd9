namespace PoolDetector.Core.Protocols.Dns;

/// <summary>The record types and class the parser gives meaning to; every other value is passed through or skipped.</summary>
public static class DnsRecordType
{
    public const ushort A = 1;
    public const ushort Ns = 2;
    public const ushort Cname = 5;
    public const ushort Soa = 6;
    public const ushort Ptr = 12;
    public const ushort Mx = 15;
    public const ushort Txt = 16;
    public const ushort Aaaa = 28;
    public const ushort Opt = 41;

    /// <summary>Class IN, the only class whose addresses mean anything on the Internet.</summary>
    public const ushort ClassInternet = 1;
}
