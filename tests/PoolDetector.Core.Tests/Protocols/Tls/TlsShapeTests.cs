using PoolDetector.Core.Protocols.Tls;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Protocols.Tls;

public class TlsShapeTests
{
    [Fact]
    public void Bare_openssl_client_without_sni_or_alpn_is_xmrig_default_shape()
    {
        // What XMRig's Tls.cpp produces: OpenSSL defaults, no server_name, no ALPN.
        var hello = TlsFingerprintTests.Build(ClientHello([0x1302, 0x1303, 0x1301, 0xc02c],
            PointFormats(0, 1, 2), Groups(29, 23, 30, 25, 24), Empty(35), Empty(22), Empty(23),
            SignatureAlgorithms(0x0403, 0x0503), SupportedVersions(0x0304, 0x0303), Empty(45), Empty(51)));
        var shape = TlsShapes.Shape(hello);
        Assert.Equal(new TlsClientHelloShape(HasSni: false, AlpnEmpty: true, OffersTls13: true), shape);
        Assert.True(TlsShapes.IsXmrigDefaultShape(hello));
        Assert.StartsWith("t13i0409", TlsFingerprints.Ja4(hello), StringComparison.Ordinal);
        Assert.Equal("00", TlsFingerprints.Ja4(hello)[8..10]);
    }

    [Fact]
    public void Sni_or_alpn_breaks_the_shape()
    {
        Assert.False(TlsShapes.IsXmrigDefaultShape(TlsFingerprintTests.Build(ClientHello([0x1301], Sni("pool.example")))));
        Assert.False(TlsShapes.IsXmrigDefaultShape(TlsFingerprintTests.Build(ClientHello([0x1301], Alpn("h2")))));
    }
}
