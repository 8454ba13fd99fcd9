using System.Text;
using System.Text.RegularExpressions;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Intel;
using PoolDetector.Core.Protocols.Dns;
using PoolDetector.Core.Protocols.Tls;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Tests.Decoding;
using PoolDetector.Testing;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>The shipped YAML rules with pool intel and an allowlist given in memory.</summary>
internal static class ContactRules
{
    /// <summary>The day intel is loaded on (allowlist expiry is judged against it).</summary>
    public static readonly DateTimeOffset Today = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public const string PoolListHeader = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tconfidence\n";

    /// <summary>A strong pool domain, a weak (shared) one and a listed pool endpoint.</summary>
    public const string PoolList = PoolListHeader
        + "supportxmr.com\tDOMAIN\ttest-list\tpool\tstrong\n"
        + "2miners.com\tDOMAIN\ttest-list\tpool\tweak\n"
        + "203.0.113.99:3333\tADDR\ttest-list\tpool\tstrong\n";

    public const string AllowlistHeader = "#fields\tindicator\tindicator_type\treason\texpires\n";

    private static readonly (string Path, string Text)[] Yaml =
    [
        .. Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllText(f))),
    ];

    public static RuleSet Default { get; } = With();

    /// <param name="withoutDialects">Dialect ids to leave out of dialects.yml (switching their signals off).</param>
    public static RuleSet With(string pools = PoolList, string? allowlist = null, DateTimeOffset? today = null, params string[] withoutDialects)
    {
        var files = new List<(string, string)> { ("pools.tsv", pools) };
        if (allowlist is not null)
        {
            files.Add(("allowlist.tsv", allowlist));
        }
        var intel = IntelLoader.Load(files, today ?? Today);
        Assert.Empty(intel.Errors);
        var yaml = Yaml.Select(f => f.Path == "dialects.yml" ? (f.Path, Without(f.Text, withoutDialects)) : f).ToList();
        return RuleLoader.Load(yaml, intel.Intel);
    }

    private static string Without(string dialects, string[] ids)
    {
        foreach (var id in ids)
        {
            var edited = Regex.Replace(dialects, @"  - id: " + Regex.Escape(id) + @"\n(    .*\n)+", "");
            Assert.NotEqual(dialects, edited);
            dialects = edited;
        }
        return dialects;
    }
}

/// <summary>
/// The whole engine (decode, flow table, inspectors, detector) fed Ethernet frames built in
/// memory, on a packet clock that moves 1 ms a packet unless told otherwise.
/// </summary>
internal sealed class ContactHarness : IDetectionSink
{
    /// <summary>2026-11-02T09:00:00Z.</summary>
    public const long Start = 1_793_610_000_000_000;

    public ContactHarness(RuleSet? rules = null, LearnedPools? learned = null, EngineOptions? options = null)
    {
        Engine = new Engine(rules ?? ContactRules.Default, options ?? new EngineOptions(), this, learned);
    }

    public Engine Engine { get; }

    public List<MiningDetection> Detections { get; } = [];

    public long Now { get; set; } = Start;

    public void OnDetection(MiningDetection detection) => Detections.Add(detection);

    public void Advance(TimeSpan span) => Now += span.Ticks / TimeSpan.TicksPerMicrosecond;

    public void Frame(byte[] frame)
    {
        Engine.ProcessFrame(LinkType.Ethernet, frame, Now);
        Now += 1000;
    }

    public static FrameBuilder Ip(FrameBuilder transport, string source, string destination) =>
        source.Contains(':', StringComparison.Ordinal) ? transport.Ipv6(source, destination) : transport.Ipv4(source, destination);

    public static byte[] UdpFrame(string source, ushort sourcePort, string destination, ushort destinationPort, ReadOnlySpan<byte> payload) =>
        Ip(FrameBuilder.Udp(sourcePort, destinationPort, payload), source, destination).Ethernet().Build();

    public void Udp(string source, ushort sourcePort, string destination, ushort destinationPort, ReadOnlySpan<byte> payload) =>
        Frame(UdpFrame(source, sourcePort, destination, destinationPort, payload));

    public TcpFlow Tcp(string client, ushort clientPort, string server, ushort serverPort) => new(this, client, clientPort, server, serverPort);

    public void Finish() => Engine.Finish();

    /// <summary>The one detection of the flow to this server port, or null.</summary>
    public MiningDetection? To(ushort serverPort) => Detections.SingleOrDefault(d => d.PoolPort == serverPort);
}

/// <summary>One TCP connection with sequence bookkeeping; data is cut into segments at the offsets given.</summary>
internal sealed class TcpFlow(ContactHarness harness, string client, ushort clientPort, string server, ushort serverPort)
{
    private const byte Fin = 0x01;
    private const byte Syn = 0x02;
    private const byte Ack = 0x10;
    private const byte PshAck = 0x18;

    private uint _clientSeq = 100_000;
    private uint _serverSeq = 900_000;

    /// <summary>The MAC each side's frames carry; null for FrameBuilder's fixed ones.</summary>
    public string? ClientMac { get; init; }

    public string? ServerMac { get; init; }

    public TcpFlow Handshake()
    {
        Send(fromClient: true, [], Syn);
        Send(fromClient: false, [], Syn | Ack);
        Send(fromClient: true, [], Ack);
        return this;
    }

    /// <summary>A SYN nobody answers.</summary>
    public TcpFlow SynOnly()
    {
        Send(fromClient: true, [], Syn);
        return this;
    }

    public TcpFlow Client(ReadOnlySpan<byte> data, params int[] cuts) => Data(fromClient: true, data, cuts);

    public TcpFlow Server(ReadOnlySpan<byte> data, params int[] cuts) => Data(fromClient: false, data, cuts);

    public TcpFlow ClientText(string text) => Client(Encoding.UTF8.GetBytes(text));

    public TcpFlow ServerText(string text) => Server(Encoding.UTF8.GetBytes(text));

    public TcpFlow Close()
    {
        Send(fromClient: true, [], Fin | Ack);
        Send(fromClient: false, [], Fin | Ack);
        Send(fromClient: true, [], Ack);
        return this;
    }

    private TcpFlow Data(bool fromClient, ReadOnlySpan<byte> data, int[] cuts)
    {
        var start = 0;
        foreach (var cut in cuts.Append(data.Length))
        {
            Send(fromClient, data[start..cut], PshAck);
            start = cut;
        }
        return this;
    }

    private void Send(bool fromClient, ReadOnlySpan<byte> payload, byte flags)
    {
        var frame = fromClient
            ? ContactHarness.Ip(FrameBuilder.Tcp(clientPort, serverPort, payload, _clientSeq, _serverSeq, flags), client, server).Ethernet(ClientMac, ServerMac).Build()
            : ContactHarness.Ip(FrameBuilder.Tcp(serverPort, clientPort, payload, _serverSeq, _clientSeq, flags), server, client).Ethernet(ServerMac, ClientMac).Build();
        harness.Frame(frame);
        var used = (uint)payload.Length + ((flags & (Syn | Fin)) != 0 ? 1u : 0u);
        if (fromClient)
        {
            _clientSeq += used;
        }
        else
        {
            _serverSeq += used;
        }
    }
}

/// <summary>DNS messages written out in full (no compression), for the detector's tests.</summary>
internal static class DnsMessages
{
    public static byte[] Query(string name, ushort type = DnsRecordType.A, ushort id = 0x4d2) =>
        Concat(Header(0x0100, 1, id: id), Name(name.Split('.')), Question(type));

    /// <summary>A response to a question for <paramref name="name"/> with the records given in the answer section.</summary>
    public static byte[] Response(string name, params byte[][] answers) =>
        Concat([Header(0x8180, 1, answers.Length, id: 0x4d2), Name(name.Split('.')), Question(), .. answers]);

    public static byte[] A(string owner, string address, uint ttl = 300) =>
        Concat(Name(owner.Split('.')), Record(DnsRecordType.A, ttl, System.Net.IPAddress.Parse(address).GetAddressBytes()));

    public static byte[] Aaaa(string owner, string address, uint ttl = 300) =>
        Concat(Name(owner.Split('.')), Record(DnsRecordType.Aaaa, ttl, System.Net.IPAddress.Parse(address).GetAddressBytes()));

    public static byte[] Cname(string owner, string target, uint ttl = 300) =>
        Concat(Name(owner.Split('.')), Record(DnsRecordType.Cname, ttl, Name(target.Split('.'))));
}

/// <summary>ClientHellos of the shapes the detector weighs, in records as sent.</summary>
internal static class Hellos
{
    /// <summary>A browser-like hello: SNI, ALPN h2 and http/1.1, TLS 1.3 offered.</summary>
    public static byte[] WithSni(string name) => Records(ClientHello([0x1301, 0x1302, 0xc02f],
        Sni(name), Groups(29, 23), SignatureAlgorithms(0x0403, 0x0804), Alpn("h2", "http/1.1"), SupportedVersions(0x0304, 0x0303)));

    /// <summary>XMRig's default: OpenSSL's defaults without server_name and ALPN.</summary>
    public static byte[] Xmrig() => Records(ClientHello([0x1302, 0x1303, 0x1301, 0xc02c],
        PointFormats(0, 1, 2), Groups(29, 23, 30, 25, 24), Empty(35), Empty(22), Empty(23),
        SignatureAlgorithms(0x0403, 0x0503), SupportedVersions(0x0304, 0x0303), Empty(45), Empty(51)));

    /// <summary>The fingerprints the detector adds to a flagged TLS flow's evidence, for this hello.</summary>
    public static string[] Fingerprints(byte[] records)
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(records, out var hello));
        return ["ja4:" + TlsFingerprints.Ja4(hello!), "ja3:" + TlsFingerprints.Ja3(hello!)];
    }
}
