using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PoolDetector.Core.Protocols.Tls;

/// <summary>
/// Parses the cleartext start of a TLS connection from the bytes a caller accumulates for
/// one TCP direction: the client's ClientHello, the server's ServerHello and (TLS 1.2 and
/// below) its Certificate. Handshake messages may span records and records may span
/// segments, so the caller keeps appending until the answer is not <see cref="TlsParseStatus.NeedMore"/>
/// or the bound is reached. Nothing here throws on input: every failure is a status.
/// </summary>
public static class TlsHandshakeParser
{
    /// <summary>A ClientHello larger than this is not one we fingerprint (browsers stay under 2 KiB; post-quantum key shares under 4 KiB).</summary>
    public const int MaxClientBytes = 16 * 1024;

    /// <summary>ServerHello plus a certificate chain; real chains are a few KiB.</summary>
    public const int MaxServerBytes = 64 * 1024;

    private const byte ContentHandshake = 22;
    private const byte HandshakeClientHello = 1;
    private const byte HandshakeServerHello = 2;
    private const byte HandshakeCertificate = 11;
    private const byte HandshakeServerHelloDone = 14;
    private const int RecordHeader = 5;
    private const int HandshakeHeader = 4;

    // RFC 8446 5.1: a plaintext record carries at most 2^14 bytes; 5.2 allows 2^14 + 256 for
    // ciphertext, and older stacks 2^14 + 2048. Anything longer is not TLS as sent.
    private const int MaxRecordLength = (1 << 14) + 2048;

    public const ushort ExtServerName = 0x0000;
    public const ushort ExtSupportedGroups = 0x000a;
    public const ushort ExtEcPointFormats = 0x000b;
    public const ushort ExtSignatureAlgorithms = 0x000d;
    public const ushort ExtAlpn = 0x0010;
    public const ushort ExtSupportedVersions = 0x002b;

    /// <summary>Cheap reject for the flow table: a TLS client or server starts with a handshake record, 0x16 0x03 0x00-0x04.</summary>
    public static bool MayBeTls(ReadOnlySpan<byte> start) =>
        start.Length == 0
        || (start[0] == ContentHandshake && (start.Length < 2 || start[1] == 3) && (start.Length < 3 || start[2] <= 4));

    public static TlsParseStatus ParseClientHello(ReadOnlySpan<byte> stream, out TlsClientHello? hello)
    {
        hello = null;
        var status = Gather(stream, MaxClientBytes, out var hs, out var ended, out var recordVersion);
        if (status != TlsParseStatus.Complete)
        {
            return status;
        }

        status = Message(hs, 0, HandshakeClientHello, ended, MaxClientBytes, out var body, out _);
        if (status != TlsParseStatus.Complete)
        {
            return status;
        }

        hello = ReadClientHello(body.Span, recordVersion);
        return hello is null ? TlsParseStatus.Malformed : TlsParseStatus.Complete;
    }

    /// <summary>
    /// Complete once the ServerHello is parsed and, for TLS 1.2 and below, the Certificate
    /// has been read or cannot come (ServerHelloDone, a ChangeCipherSpec for a resumed
    /// session, or the bound reached: the ServerHello is still returned, without certificate).
    /// </summary>
    public static TlsParseStatus ParseServerHello(ReadOnlySpan<byte> stream, out TlsServerHello? hello)
    {
        hello = null;
        var status = Gather(stream, MaxServerBytes, out var hs, out var ended, out _);
        if (status != TlsParseStatus.Complete)
        {
            return status;
        }

        status = Message(hs, 0, HandshakeServerHello, ended, MaxServerBytes, out var body, out var next);
        if (status != TlsParseStatus.Complete)
        {
            return status;
        }

        var serverHello = ReadServerHello(body.Span);
        if (serverHello is null)
        {
            return TlsParseStatus.Malformed;
        }

        // TLS 1.3 encrypts everything after the ServerHello.
        if (serverHello.SelectedVersion >= 0x0304)
        {
            hello = serverHello;
            return TlsParseStatus.Complete;
        }

        while (true)
        {
            if (next + HandshakeHeader > hs.Length)
            {
                if (ended || hs.Length >= MaxServerBytes)
                {
                    hello = serverHello;
                    return TlsParseStatus.Complete;
                }

                return TlsParseStatus.NeedMore;
            }

            var type = hs.Span[next];
            var length = ReadUInt24(hs.Span[(next + 1)..]);
            if (type == HandshakeServerHelloDone)
            {
                hello = serverHello;
                return TlsParseStatus.Complete;
            }

            if (next + HandshakeHeader + length > hs.Length)
            {
                if (ended || next + HandshakeHeader + length > MaxServerBytes)
                {
                    hello = serverHello;
                    return TlsParseStatus.Complete;
                }

                return TlsParseStatus.NeedMore;
            }

            if (type == HandshakeCertificate)
            {
                var certificate = ReadCertificateMessage(hs.Span.Slice(next + HandshakeHeader, length), out var malformed);
                if (malformed)
                {
                    return TlsParseStatus.Malformed;
                }

                hello = WithCertificate(serverHello, certificate);
                return TlsParseStatus.Complete;
            }

            next += HandshakeHeader + length;
        }
    }

    /// <summary>
    /// Copies the payloads of the leading handshake records into one buffer (at most
    /// <paramref name="bound"/> bytes). <paramref name="ended"/> says a non-handshake record
    /// followed, so no more cleartext handshake bytes will come.
    /// </summary>
    private static TlsParseStatus Gather(ReadOnlySpan<byte> stream, int bound, out ReadOnlyMemory<byte> handshake, out bool ended, out ushort firstVersion)
    {
        handshake = ReadOnlyMemory<byte>.Empty;
        ended = false;
        firstVersion = 0;
        if (!MayBeTls(stream))
        {
            return TlsParseStatus.NotTls;
        }

        // First pass: validate headers and size the copy.
        var total = 0;
        var offset = 0;
        var records = 0;
        while (offset + RecordHeader <= stream.Length && total < bound)
        {
            var header = stream.Slice(offset, RecordHeader);
            if (header[1] != 3 || header[2] > 4)
            {
                return records == 0 ? TlsParseStatus.NotTls : TlsParseStatus.Malformed;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            if (length == 0 || length > MaxRecordLength)
            {
                return TlsParseStatus.Malformed;
            }

            if (header[0] != ContentHandshake)
            {
                ended = true;
                break;
            }

            if (records == 0)
            {
                firstVersion = BinaryPrimitives.ReadUInt16BigEndian(header[1..]);
            }

            var available = Math.Min(length, stream.Length - offset - RecordHeader);
            total += available;
            records++;
            if (available < length)
            {
                break;
            }

            offset += RecordHeader + length;
        }

        if (records == 0)
        {
            return ended ? TlsParseStatus.Malformed : TlsParseStatus.NeedMore;
        }

        var buffer = new byte[Math.Min(total, bound)];
        var written = 0;
        offset = 0;
        while (written < buffer.Length)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(stream[(offset + 3)..]);
            var take = Math.Min(Math.Min(length, stream.Length - offset - RecordHeader), buffer.Length - written);
            stream.Slice(offset + RecordHeader, take).CopyTo(buffer.AsSpan(written));
            written += take;
            offset += RecordHeader + length;
        }

        handshake = buffer;
        return TlsParseStatus.Complete;
    }

    private static TlsParseStatus Message(ReadOnlyMemory<byte> hs, int at, byte expectedType, bool ended, int bound, out ReadOnlyMemory<byte> body, out int next)
    {
        body = ReadOnlyMemory<byte>.Empty;
        next = 0;
        var span = hs.Span;
        if (span.Length - at < HandshakeHeader)
        {
            if (span.Length > at && span[at] != expectedType)
            {
                return TlsParseStatus.Malformed;
            }

            return ended ? TlsParseStatus.Malformed : TlsParseStatus.NeedMore;
        }

        if (span[at] != expectedType)
        {
            return TlsParseStatus.Malformed;
        }

        var length = ReadUInt24(span[(at + 1)..]);
        if (at + HandshakeHeader + length > bound)
        {
            return TlsParseStatus.TooLarge;
        }

        if (at + HandshakeHeader + length > span.Length)
        {
            return ended ? TlsParseStatus.Malformed : TlsParseStatus.NeedMore;
        }

        body = hs.Slice(at + HandshakeHeader, length);
        next = at + HandshakeHeader + length;
        return TlsParseStatus.Complete;
    }

    private static TlsClientHello? ReadClientHello(ReadOnlySpan<byte> body, ushort recordVersion)
    {
        var r = new Reader(body);
        if (!r.U16(out var legacyVersion) || !r.Skip(32) || !r.Vector8(out var sessionId) || sessionId.Length > 32
            || !r.Vector16(out var cipherBytes) || cipherBytes.Length == 0 || cipherBytes.Length % 2 != 0
            || !r.Vector8(out var compression) || compression.Length == 0)
        {
            return null;
        }

        var extensions = new List<ushort>();
        string? serverName = null;
        string[] alpn = [];
        ushort[] supportedVersions = [], groups = [], signatureAlgorithms = [];
        byte[] pointFormats = [];
        if (!r.Extensions(out var e))
        {
            return null;
        }

        while (e.Next(out var type, out var data))
        {
            extensions.Add(type);
            var ok = type switch
            {
                ExtServerName => ReadServerName(data, out serverName),
                ExtAlpn => ReadAlpn(data, out alpn),
                ExtSupportedVersions => ReadU16List(data, lengthBytes: 1, out supportedVersions),
                ExtSupportedGroups => ReadU16List(data, lengthBytes: 2, out groups),
                ExtSignatureAlgorithms => ReadU16List(data, lengthBytes: 2, out signatureAlgorithms),
                ExtEcPointFormats => ReadPointFormats(data, out pointFormats),
                _ => true,
            };
            if (!ok)
            {
                return null;
            }
        }
        if (e.Malformed)
        {
            return null;
        }

        return new TlsClientHello
        {
            RecordVersion = recordVersion,
            LegacyVersion = legacyVersion,
            CipherSuites = ToU16(cipherBytes),
            Extensions = [.. extensions],
            ServerName = serverName,
            AlpnProtocols = alpn,
            SupportedVersions = supportedVersions,
            SupportedGroups = groups,
            EcPointFormats = pointFormats,
            SignatureAlgorithms = signatureAlgorithms,
        };
    }

    private static TlsServerHello? ReadServerHello(ReadOnlySpan<byte> body)
    {
        var r = new Reader(body);
        if (!r.U16(out var legacyVersion) || !r.Skip(32) || !r.Vector8(out var sessionId) || sessionId.Length > 32
            || !r.U16(out var cipher) || !r.Skip(1))
        {
            return null;
        }

        var extensions = new List<ushort>();
        var selected = legacyVersion;
        string? alpn = null;
        if (!r.Extensions(out var e))
        {
            return null;
        }

        while (e.Next(out var type, out var data))
        {
            extensions.Add(type);
            if (type == ExtSupportedVersions)
            {
                // The server names one version, without a length prefix (RFC 8446 4.2.1).
                if (data.Length != 2)
                {
                    return null;
                }

                selected = BinaryPrimitives.ReadUInt16BigEndian(data);
            }
            else if (type == ExtAlpn)
            {
                if (!ReadAlpn(data, out var protocols) || protocols.Length != 1)
                {
                    return null;
                }

                alpn = protocols[0];
            }
        }
        if (e.Malformed)
        {
            return null;
        }

        return new TlsServerHello
        {
            LegacyVersion = legacyVersion,
            SelectedVersion = selected,
            CipherSuite = cipher,
            Extensions = [.. extensions],
            AlpnProtocol = alpn,
        };
    }

    private static TlsServerHello WithCertificate(TlsServerHello hello, TlsCertificateInfo? certificate) => new()
    {
        LegacyVersion = hello.LegacyVersion,
        SelectedVersion = hello.SelectedVersion,
        CipherSuite = hello.CipherSuite,
        Extensions = hello.Extensions,
        AlpnProtocol = hello.AlpnProtocol,
        Certificate = certificate,
    };

    /// <summary>TLS 1.2 Certificate: a 24-bit list of 24-bit-length DER certificates, leaf first.</summary>
    public static TlsCertificateInfo? ReadCertificateMessage(ReadOnlySpan<byte> body, out bool malformed)
    {
        malformed = true;
        if (body.Length < 3)
        {
            return null;
        }

        var listLength = ReadUInt24(body);
        if (listLength != body.Length - 3)
        {
            return null;
        }

        malformed = false;
        if (listLength == 0)
        {
            return null;
        }

        if (listLength < 3 || ReadUInt24(body[3..]) > listLength - 3)
        {
            malformed = true;
            return null;
        }

        return ReadCertificate(body.Slice(6, ReadUInt24(body[3..])));
    }

    /// <summary>Reads the facts a detector needs from one DER certificate; null when it does not decode.</summary>
    public static TlsCertificateInfo? ReadCertificate(ReadOnlySpan<byte> der)
    {
        try
        {
            // Allocates, but once per flow; the BCL's decoder is safer than our own ASN.1.
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return new TlsCertificateInfo
            {
                SubjectCommonName = CommonName(certificate.SubjectName),
                IssuerCommonName = CommonName(certificate.IssuerName),
                SerialNumberHex = Convert.ToHexString(certificate.SerialNumberBytes.Span),
                NotBeforeUtc = certificate.NotBefore.ToUniversalTime(),
                NotAfterUtc = certificate.NotAfter.ToUniversalTime(),
                SelfIssued = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData),
            };
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private const string CommonNameOid = "2.5.4.3";

    /// <summary>
    /// The first common name of <paramref name="name"/>, or null. Each relative distinguished name
    /// is a SET of attributes, and one SET may hold several ("CN=a+O=b", X.501), for which the
    /// framework's single-element accessors throw; so every SET is read here, attribute by
    /// attribute. A value that is not a character string is passed over: its certificate
    /// decoded, so the handshake is read on without that name.
    /// </summary>
    private static string? CommonName(X500DistinguishedName name)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            try
            {
                var attributes = new AsnReader(rdn.RawData, AsnEncodingRules.BER).ReadSetOf();
                while (attributes.HasData)
                {
                    var attribute = attributes.ReadSequence();
                    if (attribute.ReadObjectIdentifier() == CommonNameOid
                        && attribute.PeekTag() is { TagClass: TagClass.Universal } tag
                        && Enum.IsDefined((UniversalTagNumber)tag.TagValue))
                    {
                        return attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                    }
                }
            }
            catch (Exception e) when (e is AsnContentException or ArgumentException)
            {
                // Not a string type (ReadCharacterString refuses the tag), or not DER the
                // framework could have produced: this RDN gives no name.
            }
        }

        return null;
    }

    private static bool ReadServerName(ReadOnlySpan<byte> data, out string? name)
    {
        name = null;
        var r = new Reader(data);
        if (!r.Vector16(out var list) || !r.AtEnd)
        {
            return false;
        }

        var l = new Reader(list);
        while (!l.AtEnd)
        {
            if (!l.U8(out var type) || !l.Vector16(out var host))
            {
                return false;
            }

            if (type == 0 && name is null)
            {
                // Host names are ASCII (RFC 6066 3); anything else is kept visible, not trusted.
                name = Encoding.ASCII.GetString(host);
            }
        }

        return true;
    }

    private static bool ReadAlpn(ReadOnlySpan<byte> data, out string[] protocols)
    {
        protocols = [];
        var r = new Reader(data);
        if (!r.Vector16(out var list) || !r.AtEnd)
        {
            return false;
        }

        var names = new List<string>();
        var l = new Reader(list);
        while (!l.AtEnd)
        {
            if (!l.Vector8(out var protocol) || protocol.Length == 0)
            {
                return false;
            }

            names.Add(Encoding.Latin1.GetString(protocol));
        }

        protocols = [.. names];
        return true;
    }

    private static bool ReadU16List(ReadOnlySpan<byte> data, int lengthBytes, out ushort[] values)
    {
        values = [];
        var r = new Reader(data);
        ReadOnlySpan<byte> list;
        if (!(lengthBytes == 1 ? r.Vector8(out list) : r.Vector16(out list)) || !r.AtEnd || list.Length % 2 != 0)
        {
            return false;
        }

        values = ToU16(list);
        return true;
    }

    private static bool ReadPointFormats(ReadOnlySpan<byte> data, out byte[] formats)
    {
        formats = [];
        var r = new Reader(data);
        if (!r.Vector8(out var list) || !r.AtEnd)
        {
            return false;
        }

        formats = list.ToArray();
        return true;
    }

    private static ushort[] ToU16(ReadOnlySpan<byte> bytes)
    {
        var values = new ushort[bytes.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        }

        return values;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];

    /// <summary>Bounds-checked reader: every read says whether the bytes were there.</summary>
    /// <summary>The extensions of a hello, one at a time; <see cref="Malformed"/> when one runs past the block.</summary>
    private ref struct ExtensionReader(ReadOnlySpan<byte> block)
    {
        private Reader _reader = new(block);

        public bool Malformed { get; private set; }

        public bool Next(out ushort type, out ReadOnlySpan<byte> data)
        {
            data = default;
            type = 0;
            if (_reader.AtEnd)
            {
                return false;
            }
            if (!_reader.U16(out type) || !_reader.Vector16(out data))
            {
                Malformed = true;
                return false;
            }
            return true;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool AtEnd => _at == _data.Length;

        /// <summary>
        /// The optional extensions block that ends a hello: absent (no extensions) or a
        /// 16-bit-length vector that must take every remaining byte.
        /// </summary>
        public bool Extensions(out ExtensionReader extensions)
        {
            var block = ReadOnlySpan<byte>.Empty;
            if (!AtEnd && (!Vector16(out block) || !AtEnd))
            {
                extensions = default;
                return false;
            }
            extensions = new ExtensionReader(block);
            return true;
        }

        public bool Skip(int n)
        {
            if (_data.Length - _at < n)
            {
                return false;
            }

            _at += n;
            return true;
        }

        public bool U8(out byte value)
        {
            value = 0;
            if (_at >= _data.Length)
            {
                return false;
            }

            value = _data[_at++];
            return true;
        }

        public bool U16(out ushort value)
        {
            value = 0;
            if (_data.Length - _at < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_data[_at..]);
            _at += 2;
            return true;
        }

        public bool Vector8(out ReadOnlySpan<byte> value)
        {
            value = default;
            return U8(out var length) && Take(length, out value);
        }

        public bool Vector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            return U16(out var length) && Take(length, out value);
        }

        private bool Take(int n, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_data.Length - _at < n)
            {
                return false;
            }

            value = _data.Slice(_at, n);
            _at += n;
            return true;
        }
    }
}
