using PoolDetector.Core.Decoding;
using PoolDetector.Core.Protocols.Dns;

namespace PoolDetector.Core.Tests.Protocols.Dns;

/// <summary>Messages from captures, byte builders for hand-made ones, and a handler that writes down what it hears.</summary>
internal static class DnsTestKit
{
    // zeek-cryptomining/coinhive-stratum.pcap (tshark -e udp.payload), frames as numbered there.
    public const string CoinhiveQuery = "a6650100000100000000000008636f696e6869766503636f6d0000010001"; // frame 3
    public const string CoinhiveAnswer = "a6658180000100020000000008636f696e6869766503636f6d0000010001c00c00010001000000b100046814d03bc00c00010001000000b100046814d13b"; // frame 4
    public const string SupportXmrQuery = "8d5201000001000000000000046c6130310a737570706f7274786d7203636f6d0000010001"; // frame 88
    public const string SupportXmrAnswer = "8d5281800001000100000000046c6130310a737570706f7274786d7203636f6d0000010001c00c000100010000005a0004c06ea072"; // frame 90
    /// <summary>AAAA query answered with no address and the zone's SOA in the authority section.</summary>
    public const string SupportXmrAaaaNoData = "cf1381800001000000010000046c6130310a737570706f7274786d7203636f6d00001c0001c01100060001000000ad002c046e7331310a636f6e7374656c6c6978c01c03646e73c036781a9d950000a8c000000e1000127500000000b4"; // frame 91
    /// <summary>A answer through a CNAME to Cloudflare.</summary>
    public const string WwwSupportXmrA = "545081800001000300000000037777770a737570706f7274786d7203636f6d0000010001c00c00050001000000730027037777770a737570706f7274786d7203636f6d0363646e0a636c6f7564666c617265036e657400c0300001000100000073000468147b22c0300001000100000073000468147a22"; // frame 151
    public const string WwwSupportXmrAaaa = "a76381800001000300000000037777770a737570706f7274786d7203636f6d00001c0001c00c00050001000000730027037777770a737570706f7274786d7203636f6d0363646e0a636c6f7564666c617265036e657400c030001c00010000007300102400cb00204800010000000068147b22c030001c00010000007300102400cb00204800010000000068147a22"; // frame 152

    // benign/dns_long_domainname.pcap: an NXDOMAIN with the SOA of example.com's parent.
    public const string LongNameNxDomain = "8b548183000100000001000006676d7230326302313601300c66686b666873646b6668736b0674756e6e656c076578616d706c6503636f6d0000010001c02c00060001000005c3002c026e73056963616e6e036f726700036e6f6303646e73c04c7867fabe00001c2000000e100012750000000e10";
    // benign/bad-dns-traffic.pcap: an MX answer for a 56-byte hex label (DNS tunnelling shape).
    public const string TunnelMxAnswer = "d20d818000010001000000003839353837303061363231633336323030303136333666366537333666366336353230323837333639373237363639366436353733323930300c736b756c6c7365636c616273036f726700000f0001c00c000f00010000003c0017000a12363334663030613632313031306130303030c045";

    public static IEnumerable<string> RealMessages() =>
    [
        CoinhiveQuery, CoinhiveAnswer, SupportXmrQuery, SupportXmrAnswer, SupportXmrAaaaNoData,
        WwwSupportXmrA, WwwSupportXmrAaaa, LongNameNxDomain, TunnelMxAnswer,
    ];

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static byte[] Header(ushort flags, int questions, int answers = 0, int authority = 0, int additional = 0, ushort id = 0x1234) =>
    [
        (byte)(id >> 8), (byte)id, (byte)(flags >> 8), (byte)flags,
        (byte)(questions >> 8), (byte)questions, (byte)(answers >> 8), (byte)answers,
        (byte)(authority >> 8), (byte)authority, (byte)(additional >> 8), (byte)additional,
    ];

    /// <summary>A name in wire form, root byte included.</summary>
    public static byte[] Name(params string[] labels)
    {
        var bytes = new List<byte>();
        foreach (var label in labels)
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    public static byte[] Pointer(int offset) => [(byte)(0xC0 | (offset >> 8)), (byte)offset];

    public static byte[] Question(ushort type = DnsRecordType.A) => [(byte)(type >> 8), (byte)type, 0, 1];

    public static byte[] Record(ushort type, uint ttl, byte[] data, ushort recordClass = DnsRecordType.ClassInternet) =>
    [
        (byte)(type >> 8), (byte)type, (byte)(recordClass >> 8), (byte)recordClass,
        (byte)(ttl >> 24), (byte)(ttl >> 16), (byte)(ttl >> 8), (byte)ttl,
        (byte)(data.Length >> 8), (byte)data.Length, .. data,
    ];

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public static byte[] Frame(byte[] message) => [(byte)(message.Length >> 8), (byte)message.Length, .. message];
}

/// <summary>Writes every callback down as a line of text.</summary>
internal sealed class RecordingHandler : IDnsRecordHandler
{
    public List<string> Events { get; } = [];

    public void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass) =>
        Events.Add($"Q {name} {type} {questionClass}");

    public void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl) =>
        Events.Add($"ADDR {owner} {address} {ttl}");

    public void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl) =>
        Events.Add($"CNAME {owner} {target} {ttl}");

    public static (DnsParseStatus Status, DnsHeader Header, List<string> Events) Parse(ReadOnlySpan<byte> message)
    {
        var handler = new RecordingHandler();
        var status = DnsMessageParser.Parse(message, ref handler, out var header);
        return (status, header, handler.Events);
    }
}

/// <summary>A struct handler that only counts, for the allocation and volume tests.</summary>
internal struct CountingHandler : IDnsRecordHandler
{
    public int Questions;
    public int Addresses;
    public int Cnames;
    public int NameChars;

    public void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass)
    {
        Questions++;
        NameChars += name.Length;
    }

    public void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl)
    {
        Addresses++;
        NameChars += owner.Length;
    }

    public void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl)
    {
        Cnames++;
        NameChars += owner.Length + target.Length;
    }
}
