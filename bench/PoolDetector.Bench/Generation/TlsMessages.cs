using System.Buffers.Binary;
using System.Text;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// The clear-text part of a TLS 1.3 connection as a current browser sends it: a ClientHello
/// with SNI, ALPN, key share and padding to 512 bytes (Chrome's), the ServerHello, and
/// application-data records standing for everything encrypted.
/// </summary>
internal static class TlsMessages
{
    private static readonly ushort[] CipherSuites =
        [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

    private static readonly ushort[] SignatureAlgorithms = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

    /// <summary>One record: content type, legacy version 3.3 (3.1 for a ClientHello), length.</summary>
    public const int RecordHeader = 5;

    public static byte[] ClientHello(Random random, string serverName)
    {
        var buffer = new byte[1024];
        var w = new Writer(buffer);
        var (record, handshake) = w.BeginHello(0x0301, 1, random);
        w.U16(CipherSuites.Length * 2);
        foreach (var suite in CipherSuites)
        {
            w.U16(suite);
        }
        w.U8(1);
        w.U8(0);
        var extensions = w.BeginU16();

        w.U16(0x0000); // server_name
        var sni = w.BeginU16();
        var list = w.BeginU16();
        w.U8(0);
        w.U16(serverName.Length);
        w.Ascii(serverName);
        w.EndU16(list);
        w.EndU16(sni);
        w.Extension(0x0017); // extended_master_secret
        w.Extension(0xff01, 0); // renegotiation_info
        w.U16(0x000a); // supported_groups: x25519, secp256r1, secp384r1
        w.U16(8);
        w.U16(6);
        w.U16(0x001d);
        w.U16(0x0017);
        w.U16(0x0018);
        w.Extension(0x000b, 1, 0); // ec_point_formats: uncompressed
        w.Extension(0x0023); // session_ticket
        w.U16(0x0010); // ALPN: h2, http/1.1
        w.U16(14);
        w.U16(12);
        w.U8(2);
        w.Ascii("h2");
        w.U8(8);
        w.Ascii("http/1.1");
        w.Extension(0x0005, 1, 0, 0, 0, 0); // status_request: OCSP
        w.U16(0x000d); // signature_algorithms
        w.U16((SignatureAlgorithms.Length * 2) + 2);
        w.U16(SignatureAlgorithms.Length * 2);
        foreach (var algorithm in SignatureAlgorithms)
        {
            w.U16(algorithm);
        }
        w.Extension(0x0012); // signed_certificate_timestamp
        w.U16(0x0033); // key_share: x25519
        w.U16(38);
        w.U16(36);
        w.U16(0x001d);
        w.U16(32);
        w.RandomBytes(random, 32);
        w.Extension(0x002d, 1, 1); // psk_key_exchange_modes: psk_dhe_ke
        w.Extension(0x002b, 4, 0x03, 0x04, 0x03, 0x03); // supported_versions: 1.3, 1.2
        w.Extension(0x001b, 2, 0x00, 0x02); // compress_certificate: brotli

        // padding (RFC 7685): Chrome brings the handshake message to 512 bytes.
        var handshakeLength = 4 + (w.Position - handshake);
        if (handshakeLength + 4 < 512)
        {
            var padding = 512 - handshakeLength - 4;
            w.U16(0x0015);
            w.U16(padding);
            w.Zeros(padding);
        }
        w.EndU16(extensions);
        w.EndU24(handshake);
        w.EndU16(record);
        return buffer[..w.Position];
    }

    /// <summary>
    /// The server's first flight: ServerHello (TLS 1.3, x25519), the compatibility
    /// ChangeCipherSpec, and one application-data record of <paramref name="encryptedLength"/>
    /// bytes holding the encrypted extensions, certificate chain and Finished.
    /// </summary>
    public static byte[] ServerFlight(Random random, int encryptedLength)
    {
        var buffer = new byte[200 + encryptedLength];
        var w = new Writer(buffer);
        var (record, handshake) = w.BeginHello(0x0303, 2, random);
        w.U16(0x1301);
        w.U8(0);
        var extensions = w.BeginU16();
        w.Extension(0x002b, 0x03, 0x04);
        w.U16(0x0033);
        w.U16(36);
        w.U16(0x001d);
        w.U16(32);
        w.RandomBytes(random, 32);
        w.EndU16(extensions);
        w.EndU24(handshake);
        w.EndU16(record);
        ChangeCipherSpec(ref w);
        w.U8(23);
        w.U16(0x0303);
        w.U16(encryptedLength);
        w.RandomBytes(random, encryptedLength);
        return buffer[..w.Position];
    }

    /// <summary>The client's second flight: ChangeCipherSpec and its encrypted Finished.</summary>
    public static byte[] ClientFinished(Random random)
    {
        var buffer = new byte[6 + 5 + 53];
        var w = new Writer(buffer);
        ChangeCipherSpec(ref w);
        w.U8(23);
        w.U16(0x0303);
        w.U16(53);
        w.RandomBytes(random, 53);
        return buffer;
    }

    /// <summary>
    /// <paramref name="plaintext"/> bytes of application data as records of at most 16 KiB plus
    /// 17 bytes of AEAD overhead each, their contents cut from <paramref name="noise"/> from
    /// <paramref name="start"/> on.
    /// </summary>
    public static byte[] ApplicationData(ReadOnlySpan<byte> noise, int start, int plaintext)
    {
        const int maxFragment = 16384;
        var records = Math.Max(1, (plaintext + maxFragment - 1) / maxFragment);
        var buffer = new byte[plaintext + (records * (RecordHeader + 17))];
        var at = 0;
        var left = plaintext;
        for (var i = 0; i < records; i++)
        {
            var fragment = Math.Min(left, maxFragment) + 17;
            buffer[at] = 23;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at + 1), 0x0303);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(at + 3), (ushort)fragment);
            noise.Slice((start + (i * 16411)) % (noise.Length - fragment), fragment).CopyTo(buffer.AsSpan(at + RecordHeader));
            at += RecordHeader + fragment;
            left -= fragment - 17;
        }
        return buffer;
    }

    private static void ChangeCipherSpec(ref Writer w)
    {
        w.U8(20);
        w.U16(0x0303);
        w.U16(1);
        w.U8(1);
    }

    /// <summary>Writes big-endian fields forward; Begin/End pairs fill in a length once its contents are written.</summary>
    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void U8(int value) => _buffer[Position++] = (byte)value;

        public void U16(int value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Position..], (ushort)value);
            Position += 2;
        }

        public void Ascii(string text) => Position += Encoding.ASCII.GetBytes(text, _buffer[Position..]);

        public void RandomBytes(Random random, int count)
        {
            random.NextBytes(_buffer.Slice(Position, count));
            Position += count;
        }

        public void Zeros(int count)
        {
            _buffer.Slice(Position, count).Clear();
            Position += count;
        }

        /// <summary>
        /// A handshake record's header and a hello's fixed start: legacy version 1.2, the random,
        /// a 32-byte legacy session id (as TLS 1.3's middlebox compatibility mode sends, and the
        /// server echoes). Returns where the record's and the handshake's lengths go.
        /// </summary>
        public (int Record, int Handshake) BeginHello(int recordVersion, byte handshakeType, Random random)
        {
            U8(22);
            U16(recordVersion);
            var record = BeginU16();
            U8(handshakeType);
            var handshake = BeginU24();
            U16(0x0303);
            RandomBytes(random, 32);
            U8(32);
            RandomBytes(random, 32);
            return (record, handshake);
        }

        /// <summary>An extension with these bytes as its data.</summary>
        public void Extension(int type, params ReadOnlySpan<byte> data)
        {
            U16(type);
            U16(data.Length);
            data.CopyTo(_buffer[Position..]);
            Position += data.Length;
        }

        public int BeginU16()
        {
            Position += 2;
            return Position;
        }

        public readonly void EndU16(int start) => BinaryPrimitives.WriteUInt16BigEndian(_buffer[(start - 2)..], (ushort)(Position - start));

        public int BeginU24()
        {
            Position += 3;
            return Position;
        }

        public readonly void EndU24(int start)
        {
            var length = Position - start;
            _buffer[start - 3] = (byte)(length >> 16);
            _buffer[start - 2] = (byte)(length >> 8);
            _buffer[start - 1] = (byte)length;
        }
    }
}
