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
    /// The certificate XMRig's shared TLS code generates when none is configured
    /// (src/base/net/tls/TlsGen.cpp in xmrig, also built into xmrig-proxy): subject and
    /// issuer are the single name CN=localhost (the default when no "gen" name is given),
    /// serial number 1, notBefore now and notAfter now + 315360000 s (exactly 3650 days).
    /// A day of slack either side allows for clocks and rounding, not for other generators.
    /// </summary>
    public static bool IsXmrigProxyCertificate(TlsCertificateInfo certificate)
    {
        return certificate.SelfIssued
            && string.Equals(certificate.SubjectCommonName, "localhost", StringComparison.OrdinalIgnoreCase)
            && string.Equals(certificate.IssuerCommonName, "localhost", StringComparison.OrdinalIgnoreCase)
            && IsSerialOne(certificate.SerialNumberHex)
            && certificate.Validity >= TimeSpan.FromDays(3649)
            && certificate.Validity <= TimeSpan.FromDays(3651);
    }

    private static bool IsSerialOne(string hex)
    {
        var trimmed = hex.AsSpan().TrimStart('0');
        return trimmed.SequenceEqual("1");
    }
}
