using PoolDetector.Core.Protocols.Tls;
using PoolDetector.Core.Tests.Protocols.Tls;
using static PoolDetector.Core.Tests.Detection.DnsMessages;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// Hostile DNS and TLS through the whole engine: never an exception, the malformed input
/// counted, nothing reported or remembered from it, and the flows end as usual.
/// </summary>
public class HostileContactInputTests
{
    private const string Client = "10.0.0.5";
    private const string Resolver = "10.0.0.53";
    private const string Pool = "pool.supportxmr.com";

    public static TheoryData<string, byte[]> BadDatagrams()
    {
        var question = Concat(Name(Pool.Split('.')), Question());
        var selfPointerAt = 12 + question.Length;
        return new()
        {
            { "question name pointing at itself", Concat(Header(0x0100, 1), Pointer(12), Question()) },
            { "two names pointing at each other", Concat(Header(0x8180, 1, 1), Pointer(18), Question(), Pointer(12), Record(1, 60, [203, 0, 113, 7])) },
            // A pool question, then an answer whose owner loops: checked whole before anything is believed.
            { "pool question, then a looping answer", Concat(Header(0x8180, 1, 1), question, Pointer(selfPointerAt), Record(1, 60, [203, 0, 113, 7])) },
            { "counts claiming 65535 of everything", Concat(Header(0x8180, 65535, 65535, 65535, 65535), question) },
            { "answer count claiming 65535", Concat(Header(0x8180, 1, 65535), question, A(Pool, "203.0.113.7")) },
            { "header cut at 7 bytes", Query(Pool)[..7] },
            { "header only, one question claimed", Header(0x0100, 1) },
            { "pointer past the end", Concat(Header(0x0100, 1), Pointer(0x3fff), Question()) },
            { "A record of 5 bytes", Concat(Header(0x8180, 1, 1), question, Name(Pool.Split('.')), Record(1, 60, [203, 0, 113, 7, 1])) },
            { "pool query cut inside the name", Query(Pool)[..20] },
        };
    }

    [Theory]
    [MemberData(nameof(BadDatagrams))]
    public void A_malformed_dns_datagram_is_counted_and_reports_nothing(string what, byte[] datagram)
    {
        var harness = new ContactHarness();
        harness.Udp(Client, 53001, Resolver, 53, datagram);
        harness.Udp(Resolver, 53, Client, 53001, datagram);
        harness.Tcp(Client, 40000, "203.0.113.7", 3333).Handshake().Close();
        harness.Finish();

        Assert.True(harness.Detections.Count == 0, what);
        Assert.Equal(2, harness.Engine.InspectionCounters.DnsMalformed);
        Assert.Equal(0, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal(0, harness.Engine.DnsAnswers.Count);
        Assert.Equal(0, harness.Engine.ActiveFlows);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(11)]
    public void A_tcp_dns_length_prefix_below_a_header_gives_up_the_direction(int length)
    {
        var harness = new ContactHarness();
        // The bad prefix, then a well-framed pool query in the same stream: not DNS after all, so not read.
        byte[] stream = [(byte)(length >> 8), (byte)length, .. new byte[length], .. Frame(Query(Pool))];
        harness.Tcp(Client, 53002, Resolver, 53).Handshake().Client(stream, 2).Client(Frame(Query(Pool))).Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(1, harness.Engine.InspectionCounters.DnsMalformed);
        Assert.Equal(0, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal(0, harness.Engine.ActiveFlows);
    }

    [Fact]
    public void A_tcp_dns_message_with_a_compression_loop_is_counted_and_the_next_one_read()
    {
        var harness = new ContactHarness();
        var loop = Concat(Header(0x0100, 1), Pointer(12), Question());
        harness.Tcp(Client, 53002, Resolver, 53).Handshake().Client([.. Frame(loop), .. Frame(Query(Pool))], 5).Close();
        harness.Finish();

        Assert.Equal(1, harness.Engine.InspectionCounters.DnsMalformed);
        Assert.Equal(1, harness.Engine.InspectionCounters.DnsMessages);
        Assert.Equal("pool-dns", Assert.Single(harness.Detections).Dialect);
    }

    /// <summary>
    /// Firefox's real ClientHello (SNI www.ntop.org, a listed pool here) cut after every byte,
    /// each cut in a connection of its own that then closes: no hello, no report, no counter
    /// but the flow's own, and the whole hello in the last connection is still found.
    /// </summary>
    [Fact]
    public void A_client_hello_cut_at_any_byte_reports_nothing_and_ends_cleanly()
    {
        var rules = ContactRules.With(ContactRules.PoolListHeader + "ntop.org\tDOMAIN\ttest-list\tpool\tstrong\n");
        var hello = Convert.FromHexString(TlsCaptures.FirefoxClientHello);
        var harness = new ContactHarness(rules);
        for (var cut = 0; cut < hello.Length; cut++)
        {
            var flow = harness.Tcp(Client, (ushort)(20000 + cut), "203.0.113.20", 443).Handshake();
            if (cut > 0)
            {
                flow.Client(hello.AsSpan(0, cut));
            }
            flow.Close();
        }
        Assert.Empty(harness.Detections);
        harness.Tcp(Client, 19999, "203.0.113.20", 443).Handshake().Client(hello, 100, 300).Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal(19999, d.MinerPort);
        Assert.Equal("pool-tls-sni", d.Dialect);
        Assert.Equal("www.ntop.org", d.PoolHost);
        var counters = harness.Engine.InspectionCounters;
        Assert.Equal(1, counters.TlsHellos);
        Assert.Equal(0, counters.TlsMalformed);
        Assert.Equal(hello.Length + 1, harness.Engine.FlowCounters.FlowsCreated);
        Assert.Equal(0, harness.Engine.ActiveFlows);
    }

    public static TheoryData<string, byte[]> OversizedHellos() => new()
    {
        // Handshake header claiming 0xFFFFFF bytes (16 MiB) in an ordinary record.
        { "handshake claiming 16 MiB", [0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0xff, 0xff, 0xff, .. new byte[60]] },
        // A record claiming 65535 bytes, more than TLS allows (2^14 + 2048).
        { "record claiming 65535 bytes", [0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0x01, 0x00, .. new byte[60]] },
        // A real hello with a pool SNI, padded past the parser's bound, in records of 16 KiB.
        { "pool hello padded past the bound", Records(ClientHello([0x1301], Sni(Pool), Alpn("h2"), (21, new byte[TlsHandshakeParser.MaxClientBytes + 600]))) },
        // Within the handshake bound, but cut into so many tiny records that the stream is not.
        { "pool hello in 20-byte records", Records(ClientHello([0x1301], Sni(Pool), Alpn("h2"), (21, new byte[14_000])), fragment: 20) },
    };

    [Theory]
    [MemberData(nameof(OversizedHellos))]
    public void An_oversized_client_hello_is_counted_as_malformed_and_reports_nothing(string what, byte[] records)
    {
        var harness = new ContactHarness();
        var cuts = Enumerable.Range(1, (records.Length - 1) / 1400).Select(i => i * 1400).ToArray();
        harness.Tcp(Client, 40000, "203.0.113.20", 443).Handshake().Client(records, cuts)
            .Client([0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]).Close();
        harness.Finish();

        Assert.True(harness.Detections.Count == 0, what);
        Assert.Equal(1, harness.Engine.InspectionCounters.TlsMalformed);
        Assert.Equal(0, harness.Engine.InspectionCounters.TlsHellos);
        Assert.Equal(0, harness.Engine.ActiveFlows);
    }

    [Theory]
    [InlineData(TlsHandshakeParser.MaxClientBytes - 1000, 16384)]
    [InlineData(0, 1)] // one byte a record, as DPI-evasion tools send it
    [InlineData(2000, 7)]
    public void A_pool_hello_within_the_bound_is_read_however_it_is_cut_into_records(int padding, int fragment)
    {
        var records = Records(ClientHello([0x1301], Sni(Pool), Alpn("h2"), (21, new byte[padding])), fragment);
        var cuts = Enumerable.Range(1, (records.Length - 1) / 1400).Select(i => i * 1400).ToArray();
        var harness = new ContactHarness();
        harness.Tcp(Client, 40000, "203.0.113.20", 443).Handshake().Client(records, cuts).Close();
        harness.Finish();

        Assert.Equal("pool-tls-sni", Assert.Single(harness.Detections).Dialect);
        Assert.Equal(1, harness.Engine.InspectionCounters.TlsHellos);
        Assert.Equal(0, harness.Engine.InspectionCounters.TlsMalformed);
    }
}
