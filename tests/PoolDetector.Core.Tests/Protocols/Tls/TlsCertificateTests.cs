using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PoolDetector.Core.Protocols.Tls;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Protocols.Tls;

public class TlsCertificateTests
{
    [Theory]
    [InlineData(nameof(TlsCaptures.FirefoxServerFlight))]
    [InlineData(nameof(TlsCaptures.CurlServerFlight))]
    public void Real_tls12_flight_yields_the_leaf_certificate(string capture)
    {
        var hex = (string)typeof(TlsCaptures).GetField(capture)!.GetRawConstantValue()!;
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(Convert.FromHexString(hex), out var hello));
        var cert = hello!.Certificate;
        Assert.NotNull(cert);
        Assert.Equal("www.ntop.org", cert.SubjectCommonName);
        Assert.Equal("Let's Encrypt Authority X3", cert.IssuerCommonName);
        Assert.Equal("03C56F6636EDA72F7F4C5665FA055D933255", cert.SerialNumberHex);
        Assert.Equal(new DateTime(2019, 12, 17, 1, 17, 28, DateTimeKind.Utc), cert.NotBeforeUtc);
        Assert.Equal(new DateTime(2020, 3, 16, 1, 17, 28, DateTimeKind.Utc), cert.NotAfterUtc);
        Assert.False(cert.SelfIssued);
        Assert.False(TlsShapes.IsXmrigProxyCertificate(cert));
    }

    [Fact]
    public void Tls13_server_hello_completes_without_certificate()
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(Convert.FromHexString(TlsCaptures.ChromeEchServerFlight), out var hello));
        Assert.Equal(0x0304, hello!.SelectedVersion);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(0x1301, hello.CipherSuite);
        Assert.Null(hello.Certificate);
    }

    [Fact]
    public void Xmrig_proxy_style_certificate_matches()
    {
        // TlsGen.cpp: serial 1, notAfter = notBefore + 315360000 s, CN=localhost, issuer = subject.
        var der = SelfSigned("CN=localhost", serial: [0x01], TimeSpan.FromDays(3650));
        var hello = ParseFlight(der);
        Assert.NotNull(hello.Certificate);
        Assert.Equal("localhost", hello.Certificate.SubjectCommonName);
        Assert.Equal("01", hello.Certificate.SerialNumberHex);
        Assert.True(hello.Certificate.SelfIssued);
        Assert.True(TlsShapes.IsXmrigProxyCertificate(hello.Certificate));
    }

    [Theory]
    [InlineData("CN=pool.example.com", new byte[] { 0x01 }, 3650)] // wrong name
    [InlineData("CN=localhost", new byte[] { 0x5a, 0x17, 0x33, 0x02 }, 3650)] // random serial
    [InlineData("CN=localhost", new byte[] { 0x01 }, 365)] // one year
    [InlineData("CN=localhost", new byte[] { 0x01 }, 3660)] // ten calendar years and more: not TlsGen's 315360000 s
    [InlineData("CN=www.example.org", new byte[] { 0x3c, 0x11, 0x07, 0x9a, 0x45 }, 90)] // an ordinary certificate
    public void Other_certificates_do_not_match(string subject, byte[] serial, int days)
    {
        var hello = ParseFlight(SelfSigned(subject, serial, TimeSpan.FromDays(days)));
        Assert.NotNull(hello.Certificate);
        Assert.False(TlsShapes.IsXmrigProxyCertificate(hello.Certificate));
    }

    [Fact]
    public void Certificate_not_self_issued_does_not_match()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuer = new CertificateRequest("CN=Some CA", issuerKey, HashAlgorithmName.SHA256);
        issuer.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = issuer.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        var leaf = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var cert = leaf.Create(ca, now, now.AddDays(3650), [0x01]);
        var hello = ParseFlight(cert.RawData);
        Assert.Equal("Some CA", hello.Certificate!.IssuerCommonName);
        Assert.False(TlsShapes.IsXmrigProxyCertificate(hello.Certificate));
    }

    /// <summary>
    /// A relative distinguished name may hold several attributes (X.501: a SET, written
    /// "CN=a+O=b"), for which the framework's single-element accessors throw: the common name is
    /// read from inside the SET, the other attributes are passed over, and a name without one is
    /// no name. Each case: RDNs as lists of (OID, value); 2.5.4.3 CN, 2.5.4.10 O, 2.5.4.6 C.
    /// </summary>
    [Theory]
    [InlineData("2.5.4.3=pool.example.com+2.5.4.10=Pool", "pool.example.com")]
    [InlineData("2.5.4.6=DE|2.5.4.10=Pool+2.5.4.3=pool.example.com", "pool.example.com")]
    [InlineData("2.5.4.10=Pool+2.5.4.11=Ops|2.5.4.3=localhost", "localhost")]
    [InlineData("2.5.4.10=Pool+2.5.4.11=Ops", null)]
    public void Multi_valued_names_give_their_common_name(string rdns, string? commonName)
    {
        var hello = ParseFlight(SelfSigned(Name(rdns), serial: [0x01], TimeSpan.FromDays(90)));
        Assert.NotNull(hello.Certificate);
        Assert.Equal(commonName, hello.Certificate.SubjectCommonName);
        Assert.Equal(commonName, hello.Certificate.IssuerCommonName);
    }

    /// <summary>A distinguished name written attribute by attribute: RDNs split by '|', attributes of one RDN by '+'.</summary>
    private static X500DistinguishedName Name(string rdns)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns.Split('|'))
            {
                using (writer.PushSetOf())
                {
                    foreach (var attribute in rdn.Split('+'))
                    {
                        var (oid, value) = (attribute[..attribute.IndexOf('=')], attribute[(attribute.IndexOf('=') + 1)..]);
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                        }
                    }
                }
            }
        }
        return new X500DistinguishedName(writer.Encode());
    }

    [Fact]
    public void Undecodable_certificate_is_absent_not_an_exception()
    {
        var hello = ParseFlight([0x30, 0x82, 0x01, 0x00, 0xde, 0xad]);
        Assert.Null(hello.Certificate);
    }

    [Fact]
    public void Certificate_list_length_lying_is_malformed()
    {
        byte[] body = [0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x30, 0x00];
        var flight = Records([.. TlsHelloBuilder.ServerHello(0x0303, 0xc02f), .. Handshake(11, body)]);
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseServerHello(flight, out _));
    }

    [Fact]
    public void Resumed_session_completes_at_change_cipher_spec()
    {
        byte[] flight = [.. Records(TlsHelloBuilder.ServerHello(0x0303, 0xc02f)), 0x14, 0x03, 0x03, 0x00, 0x01, 0x01];
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(flight, out var hello));
        Assert.Null(hello!.Certificate);
        Assert.Equal(TlsParseStatus.NeedMore, TlsHandshakeParser.ParseServerHello(Records(TlsHelloBuilder.ServerHello(0x0303, 0xc02f)), out _));
    }

    private static TlsServerHello ParseFlight(byte[] der)
    {
        // ServerHello and Certificate in separate records, the Certificate record split in two segments' worth.
        byte[] flight = [.. Records(TlsHelloBuilder.ServerHello(0x0303, 0xc02f, Empty(0xff01))), .. Records(Certificate(der), fragment: 200)];
        Assert.Equal(TlsParseStatus.NeedMore, TlsHandshakeParser.ParseServerHello(flight.AsSpan(0, flight.Length - 1), out _));
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(flight, out var hello));
        return hello!;
    }

    internal static byte[] SelfSigned(string subject, byte[] serial, TimeSpan validity) =>
        SelfSigned(new X500DistinguishedName(subject), serial, validity);

    internal static byte[] SelfSigned(X500DistinguishedName subject, byte[] serial, TimeSpan validity)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var notBefore = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var cert = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), notBefore, notBefore + validity, serial);
        return cert.RawData;
    }
}
