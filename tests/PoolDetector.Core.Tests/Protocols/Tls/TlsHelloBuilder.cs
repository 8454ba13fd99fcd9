using System.Buffers.Binary;
using System.Text;

namespace PoolDetector.Core.Tests.Protocols.Tls;

/// <summary>Builds handshake messages and records byte by byte, so tests can state exactly what is on the wire.</summary>
internal static class TlsHelloBuilder
{
    public static (ushort Type, byte[] Data) Sni(string host)
    {
        var name = Encoding.ASCII.GetBytes(host);
        return (0x0000, [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name]);
    }

    public static (ushort Type, byte[] Data) Alpn(params string[] protocols)
    {
        var list = protocols.SelectMany(p => (byte[])[(byte)p.Length, .. Encoding.Latin1.GetBytes(p)]).ToArray();
        return (0x0010, [.. U16(list.Length), .. list]);
    }

    public static (ushort Type, byte[] Data) SupportedVersions(params ushort[] versions) =>
        (0x002b, [(byte)(versions.Length * 2), .. versions.SelectMany(U16)]);

    public static (ushort Type, byte[] Data) Groups(params ushort[] groups) =>
        (0x000a, [.. U16(groups.Length * 2), .. groups.SelectMany(U16)]);

    public static (ushort Type, byte[] Data) PointFormats(params byte[] formats) =>
        (0x000b, [(byte)formats.Length, .. formats]);

    public static (ushort Type, byte[] Data) SignatureAlgorithms(params ushort[] algorithms) =>
        (0x000d, [.. U16(algorithms.Length * 2), .. algorithms.SelectMany(U16)]);

    public static (ushort Type, byte[] Data) Empty(ushort type) => (type, []);

    /// <summary>A ClientHello handshake message (type, 24-bit length, body).</summary>
    public static byte[] ClientHello(ushort[] ciphers, params (ushort Type, byte[] Data)[] extensions)
    {
        var ext = extensions.SelectMany(e => (byte[])[.. U16(e.Type), .. U16(e.Data.Length), .. e.Data]).ToArray();
        byte[] body = [0x03, 0x03, .. new byte[32], 0, .. U16(ciphers.Length * 2), .. ciphers.SelectMany(U16), 1, 0, .. U16(ext.Length), .. ext];
        return Handshake(1, body);
    }

    public static byte[] ServerHello(ushort version, ushort cipher, params (ushort Type, byte[] Data)[] extensions)
    {
        var ext = extensions.SelectMany(e => (byte[])[.. U16(e.Type), .. U16(e.Data.Length), .. e.Data]).ToArray();
        byte[] body = [.. U16(version), .. new byte[32], 0, .. U16(cipher), 0, .. U16(ext.Length), .. ext];
        return Handshake(2, body);
    }

    public static byte[] Certificate(params byte[][] ders)
    {
        var list = ders.SelectMany(d => (byte[])[.. U24(d.Length), .. d]).ToArray();
        return Handshake(11, [.. U24(list.Length), .. list]);
    }

    public static byte[] Handshake(byte type, byte[] body) => [type, .. U24(body.Length), .. body];

    /// <summary>Wraps handshake bytes into records of at most <paramref name="fragment"/> bytes each.</summary>
    public static byte[] Records(byte[] handshake, int fragment = 16384, byte contentType = 22)
    {
        var output = new List<byte>();
        for (var i = 0; i < handshake.Length; i += fragment)
        {
            var n = Math.Min(fragment, handshake.Length - i);
            output.AddRange([contentType, 0x03, 0x01, .. U16(n)]);
            output.AddRange(handshake.AsSpan(i, n).ToArray());
        }

        return [.. output];
    }

    public static byte[] U16(int value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)value);
        return b;
    }

    public static byte[] U16(ushort value) => U16((int)value);

    public static byte[] U24(int value) => [(byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
