namespace PoolDetector.Core.Protocols.Tls;

/// <summary>What a parse of the first bytes of a direction concluded.</summary>
public enum TlsParseStatus
{
    /// <summary>The message was parsed; the out value is set.</summary>
    Complete,

    /// <summary>Everything so far is consistent with TLS; give the parser more bytes.</summary>
    NeedMore,

    /// <summary>The first bytes are not a TLS handshake record: stop trying on this flow.</summary>
    NotTls,

    /// <summary>Starts like TLS but breaks its grammar (bad lengths, wrong message order).</summary>
    Malformed,

    /// <summary>The message claims more bytes than the parser's bound; nothing is buffered past it.</summary>
    TooLarge,
}

/// <summary>A ClientHello as sent: values kept in wire order, GREASE included (fingerprints drop it).</summary>
public sealed class TlsClientHello
{
    /// <summary>Version field of the first record header (0x0301 for most modern clients).</summary>
    public required ushort RecordVersion { get; init; }

    /// <summary>The ClientHello's own version field (0x0303 even for TLS 1.3 clients).</summary>
    public required ushort LegacyVersion { get; init; }

    public required ushort[] CipherSuites { get; init; }

    /// <summary>Extension types in the order they were sent.</summary>
    public required ushort[] Extensions { get; init; }

    /// <summary>The first host_name entry of server_name, or null when the extension is absent.</summary>
    public string? ServerName { get; init; }

    /// <summary>ALPN protocol names in order; empty when there is no ALPN extension.</summary>
    public required string[] AlpnProtocols { get; init; }

    public required ushort[] SupportedVersions { get; init; }

    public required ushort[] SupportedGroups { get; init; }

    public required byte[] EcPointFormats { get; init; }

    public required ushort[] SignatureAlgorithms { get; init; }

    public bool HasExtension(ushort type) => Array.IndexOf(Extensions, type) >= 0;
}

/// <summary>A ServerHello and, for TLS 1.2 and below, the leaf certificate that followed it.</summary>
public sealed class TlsServerHello
{
    /// <summary>The ServerHello's version field (0x0303 for TLS 1.3, whose real version is in supported_versions).</summary>
    public required ushort LegacyVersion { get; init; }

    /// <summary>supported_versions when present (TLS 1.3), otherwise <see cref="LegacyVersion"/>.</summary>
    public required ushort SelectedVersion { get; init; }

    public required ushort CipherSuite { get; init; }

    public required ushort[] Extensions { get; init; }

    /// <summary>The ALPN protocol the server chose, if any.</summary>
    public string? AlpnProtocol { get; init; }

    /// <summary>Null for TLS 1.3 (encrypted), resumed sessions, anonymous suites, or a chain past the bound.</summary>
    public TlsCertificateInfo? Certificate { get; init; }
}

/// <summary>Facts about the first (leaf) certificate of a Certificate message.</summary>
public sealed class TlsCertificateInfo
{
    public string? SubjectCommonName { get; init; }

    public string? IssuerCommonName { get; init; }

    /// <summary>Serial number as big-endian hex, as X.509 encodes it (leading zero bytes kept).</summary>
    public required string SerialNumberHex { get; init; }

    public required DateTime NotBeforeUtc { get; init; }

    public required DateTime NotAfterUtc { get; init; }

    /// <summary>Subject equals issuer, the mark of a self-signed (or self-issued) certificate.</summary>
    public required bool SelfIssued { get; init; }

    public TimeSpan Validity => NotAfterUtc - NotBeforeUtc;
}
