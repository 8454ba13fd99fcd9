using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Protocols.Tls;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Tests.Protocols.Tls;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>What a TLS handshake alone says: a pool's SNI, xmrig's certificate; XMRig's client shape only supports.</summary>
public class PoolTlsContactTests
{
    private const string Miner = "10.0.0.5";
    private const string Server = "203.0.113.20";

    [Theory]
    [InlineData(443, 1, 2)]
    [InlineData(443, 5, 9)]
    [InlineData(3333, 40, 100)]
    [InlineData(14433, 3, 90)]
    public void A_pool_sni_split_across_three_segments_is_pool_tls_sni(ushort port, int cut1, int cut2)
    {
        var hello = Hellos.WithSni("pool.supportxmr.com");
        var harness = new ContactHarness();
        harness.Tcp(Miner, 40000, Server, port).Handshake().Client(hello, cut1, cut2).Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("pool-tls-sni", d.Dialect);
        Assert.Equal(9000301, d.SignatureId);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal("tls", d.AppProtocol);
        Assert.Equal(IpAddress.Parse(Miner), d.MinerAddress);
        Assert.Equal(IpAddress.Parse(Server), d.PoolAddress);
        Assert.Equal(port, d.PoolPort);
        Assert.Equal("pool.supportxmr.com", d.PoolHost);
        Assert.Equal(["tls-sni:pool.supportxmr.com", "intel:pools.tsv:supportxmr.com", .. Hellos.Fingerprints(hello)], d.Evidence);
        Assert.Equal(1, harness.Engine.InspectionCounters.TlsHellos);
        Assert.Equal(0, harness.Engine.InspectionCounters.TlsMalformed);
        // About the server: the host's later flows to this endpoint inherit it.
        Assert.True(harness.Engine.History.TryGet(IpAddress.Parse(Miner), IpAddress.Parse(Server), port, harness.Now, out var verdict));
        Assert.Equal("pool-tls-sni", verdict.Dialect);
    }

    [Theory]
    [InlineData("www.example.org", 443)]
    [InlineData("www.example.org", 3333)]
    [InlineData("supportxmr.com.example.org", 443)]
    [InlineData("xmr.2miners.com", 443)] // weak intel alone
    public void Other_names_report_nothing(string name, ushort port)
    {
        var harness = new ContactHarness();
        harness.Tcp(Miner, 40000, Server, port).Handshake().Client(Hellos.WithSni(name), 10).Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(1, harness.Engine.InspectionCounters.TlsHellos);
    }

    /// <summary>No SNI and no ALPN: ordinary on web and mail ports, a supporting signal elsewhere, never a report by itself.</summary>
    [Theory]
    [InlineData(443)]
    [InlineData(8443)]
    [InlineData(993)]
    [InlineData(47443)]
    [InlineData(3333)]
    public void Xmrig_client_shape_alone_reports_nothing(ushort port)
    {
        var harness = new ContactHarness();
        harness.Tcp(Miner, 40000, Server, port).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(1, harness.Engine.InspectionCounters.TlsHellos);
    }

    [Fact]
    public void Xmrig_client_shape_supports_a_listed_address_but_not_on_a_web_port()
    {
        var harness = new ContactHarness(ContactRules.With(ContactRules.PoolListHeader
            + "203.0.113.99\tADDR\ttest-list\tpool\tstrong\n"));
        harness.Tcp(Miner, 40000, "203.0.113.99", 47443).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Tcp(Miner, 40001, "203.0.113.99", 443).Handshake().Client(Hellos.Xmrig()).Close();
        harness.Finish();

        var shaped = harness.To(47443);
        Assert.NotNull(shaped);
        Assert.Equal("pool-address", shaped.Dialect);
        Assert.Equal(Confidence.Medium, shaped.Confidence);
        Assert.Equal(["tls-client:no-sni-no-alpn", "listed-address:203.0.113.99", "intel:pools.tsv:203.0.113.99", .. Hellos.Fingerprints(Hellos.Xmrig())], shaped.Evidence);
        var web = harness.To(443);
        Assert.NotNull(web);
        Assert.Equal("pool-address", web.Dialect);
        Assert.Equal(Confidence.Low, web.Confidence);
    }

    private static byte[] ServerFlight(byte[] certificate) =>
    [
        .. Records(TlsHelloBuilder.ServerHello(0x0303, 0xc02f, Empty(0xff01))),
        .. Records(Certificate(certificate)),
        .. Records(Handshake(14, [])),
    ];

    [Fact]
    public void The_certificate_xmrig_proxy_generates_is_xmrig_proxy_certificate()
    {
        var hello = Hellos.WithSni("proxy.internal.example");
        var flight = ServerFlight(TlsCertificateTests.SelfSigned("CN=localhost", [0x01], TimeSpan.FromDays(3650)));
        var harness = new ContactHarness();
        harness.Tcp(Miner, 40000, Server, 3333).Handshake().Client(hello).Server(flight, 60, 700).Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("xmrig-proxy-certificate", d.Dialect);
        Assert.Equal(9000305, d.SignatureId);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal("tls", d.AppProtocol);
        Assert.Null(d.PoolHost);
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(flight, out var serverHello));
        Assert.Equal(
            ["tls-certificate:xmrig-default(CN=localhost,serial=1,3650d)", .. Hellos.Fingerprints(hello), "ja3s:" + TlsFingerprints.Ja3s(serverHello!)],
            d.Evidence);
        Assert.Equal(2, harness.Engine.InspectionCounters.TlsHellos);
    }

    [Theory]
    [InlineData("CN=www.example.org", new byte[] { 0x3c, 0x11, 0x07, 0x9a }, 90)]
    [InlineData("CN=localhost", new byte[] { 0x5a, 0x17, 0x33, 0x02 }, 3650)]
    [InlineData("CN=localhost", new byte[] { 0x01 }, 365)]
    public void Other_certificates_report_nothing(string subject, byte[] serial, int days)
    {
        var harness = new ContactHarness();
        harness.Tcp(Miner, 40000, Server, 3333).Handshake()
            .Client(Hellos.WithSni("proxy.internal.example"))
            .Server(ServerFlight(TlsCertificateTests.SelfSigned(subject, serial, TimeSpan.FromDays(days))))
            .Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(2, harness.Engine.InspectionCounters.TlsHellos);
    }
}
