namespace PoolDetector.Core.Protocols.Tls;

/// <summary>The few ClientHello facts a detector weighs, without the fingerprint strings.</summary>
public readonly record struct TlsClientHelloShape(bool HasSni, bool AlpnEmpty, bool OffersTls13);

/// <summary>
/// Handshake shapes of mining software. These are weak on their own (plenty of non-web
/// clients send no SNI and no ALPN); a detector combines them with the port and the flow's
/// behaviour.
/// </summary>
public static class TlsShapes
{
    public static TlsClientHelloShape Shape(TlsClientHello hello) => new(
        HasSni: hello.ServerName is not null,
        AlpnEmpty: hello.AlpnProtocols.Length == 0,
        OffersTls13: hello.SupportedVersions.Contains((ushort)0x0304));

    /// <summary>
    /// XMRig's default ClientHello: no server_name and no ALPN. XMRig's
    /// src/base/net/stratum/Tls.cpp builds a bare OpenSSL client (SSL_CTX_new(SSLv23_method()),
    /// SSL_set_connect_state, SSL_do_handshake) and never sets ALPN; SNI is added only when
    /// the pool's "sni" option is on (Client.cpp: handshake(m_pool.isSNI() ? host : nullptr)),
    /// which is off by default, and older releases never set it at all.
    /// </summary>
    public static bool IsXmrigDefaultShape(TlsClientHello hello)
    {
        var shape = Shape(hello);
        return !shape.HasSni && shape.AlpnEmpty;
    }

    /// <summary>
    /// xmrig-proxy's generated self-signed certificate as issue 4 describes it: subject and
    /// issuer CN=localhost, serial number 1, valid for about ten years. The validity window
    /// allows for leap days and for generators that count 3650 days rather than calendar years.
    /// </summary>
    public static bool IsXmrigProxyCertificate(TlsCertificateInfo certificate)
    {
        return certificate.SelfIssued
            && string.Equals(certificate.SubjectCommonName, "localhost", StringComparison.OrdinalIgnoreCase)
            && string.Equals(certificate.IssuerCommonName, "localhost", StringComparison.OrdinalIgnoreCase)
            && IsSerialOne(certificate.SerialNumberHex)
            && certificate.Validity >= TimeSpan.FromDays(3640)
            && certificate.Validity <= TimeSpan.FromDays(3660);
    }

    private static bool IsSerialOne(string hex)
    {
        var trimmed = hex.AsSpan().TrimStart('0');
        return trimmed.SequenceEqual("1");
    }
}
