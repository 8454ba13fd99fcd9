using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PoolDetector.Core.Protocols.Tls;

/// <summary>
/// JA3/JA3S (salesforce/ja3: decimal fields joined by '-', sections by ',', MD5) and JA4
/// (FoxIO-LLC/ja4, technical_details/JA4.md: readable prefix, then two truncated SHA-256s).
/// </summary>
public static class TlsFingerprints
{
    /// <summary>GREASE values (RFC 8701) are 0x?A?A with equal bytes; clients insert them at random, so fingerprints drop them.</summary>
    public static bool IsGrease(ushort value) => (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);

    /// <summary>SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats with GREASE removed.</summary>
    public static string Ja3String(TlsClientHello hello)
    {
        var sb = new StringBuilder(256);
        sb.Append(hello.LegacyVersion.ToString(CultureInfo.InvariantCulture)).Append(',');
        AppendDecimal(sb, hello.CipherSuites);
        sb.Append(',');
        AppendDecimal(sb, hello.Extensions);
        sb.Append(',');
        AppendDecimal(sb, hello.SupportedGroups);
        sb.Append(',');
        for (var i = 0; i < hello.EcPointFormats.Length; i++)
        {
            sb.Append(i == 0 ? "" : "-").Append(hello.EcPointFormats[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    public static string Ja3(TlsClientHello hello) => Md5Hex(Ja3String(hello));

    /// <summary>SSLVersion,Cipher,Extensions of the ServerHello (salesforce/ja3's ja3s).</summary>
    public static string Ja3sString(TlsServerHello hello)
    {
        var sb = new StringBuilder(64);
        sb.Append(hello.LegacyVersion.ToString(CultureInfo.InvariantCulture)).Append(',')
          .Append(hello.CipherSuite.ToString(CultureInfo.InvariantCulture)).Append(',');
        AppendDecimal(sb, hello.Extensions);
        return sb.ToString();
    }

    public static string Ja3s(TlsServerHello hello) => Md5Hex(Ja3sString(hello));

    /// <summary>JA4 over TCP (protocol "t").</summary>
    public static string Ja4(TlsClientHello hello)
    {
        var ciphers = hello.CipherSuites.Where(c => !IsGrease(c)).ToArray();
        var extensions = hello.Extensions.Where(e => !IsGrease(e)).ToArray();

        var sb = new StringBuilder(40);
        sb.Append('t').Append(Ja4Version(hello));
        sb.Append(hello.HasExtension(TlsHandshakeParser.ExtServerName) ? 'd' : 'i');
        sb.Append(Math.Min(ciphers.Length, 99).ToString("D2", CultureInfo.InvariantCulture));
        sb.Append(Math.Min(extensions.Length, 99).ToString("D2", CultureInfo.InvariantCulture));
        sb.Append(Ja4Alpn(hello.AlpnProtocols.Length == 0 ? null : hello.AlpnProtocols[0]));
        sb.Append('_').Append(Ja4b(hello)).Append('_').Append(Ja4c(hello));
        return sb.ToString();
    }

    /// <summary>The cipher part before hashing (JA4_r's second section): sorted 4-digit hex.</summary>
    public static string Ja4CipherList(TlsClientHello hello) =>
        HexList(hello.CipherSuites.Where(c => !IsGrease(c)).Order());

    /// <summary>
    /// The extension part before hashing: sorted extensions without SNI and ALPN (already
    /// visible in the prefix), then '_' and the signature algorithms in wire order; no '_'
    /// when there are none.
    /// </summary>
    public static string Ja4ExtensionList(TlsClientHello hello)
    {
        var list = HexList(hello.Extensions.Where(e => !IsGrease(e) && e != TlsHandshakeParser.ExtServerName && e != TlsHandshakeParser.ExtAlpn).Order());
        var signatures = hello.SignatureAlgorithms.Where(s => !IsGrease(s)).ToArray();
        return signatures.Length == 0 ? list : list + "_" + HexList(signatures);
    }

    private static string Ja4b(TlsClientHello hello)
    {
        var list = Ja4CipherList(hello);
        return list.Length == 0 ? "000000000000" : Sha256Prefix(list);
    }

    private static string Ja4c(TlsClientHello hello)
    {
        // An empty sorted extension list hashes to zeros even if signature algorithms exist (Wireshark MR 17679 follows the reference).
        var any = hello.Extensions.Any(e => !IsGrease(e) && e != TlsHandshakeParser.ExtServerName && e != TlsHandshakeParser.ExtAlpn);
        return any ? Sha256Prefix(Ja4ExtensionList(hello)) : "000000000000";
    }

    private static string Ja4Version(TlsClientHello hello)
    {
        var version = hello.LegacyVersion;
        var supported = hello.SupportedVersions.Where(v => !IsGrease(v)).ToArray();
        if (supported.Length > 0)
        {
            version = supported.Max();
        }

        return version switch
        {
            0x0304 => "13",
            0x0303 => "12",
            0x0302 => "11",
            0x0301 => "10",
            0x0300 => "s3",
            0x0002 => "s2",
            0xfeff => "d1",
            0xfefd => "d2",
            0xfefc => "d3",
            _ => "00",
        };
    }

    /// <summary>First and last character of the first ALPN value; "00" without ALPN; hex nibbles when either end is not ASCII alphanumeric.</summary>
    private static string Ja4Alpn(string? first)
    {
        if (string.IsNullOrEmpty(first))
        {
            return "00";
        }

        char a = first[0], b = first[^1];
        if (char.IsAsciiLetterOrDigit(a) && char.IsAsciiLetterOrDigit(b))
        {
            return string.Concat(a, b);
        }

        var hexFirst = ((byte)a).ToString("x2", CultureInfo.InvariantCulture);
        var hexLast = ((byte)b).ToString("x2", CultureInfo.InvariantCulture);
        return string.Concat(hexFirst[0], hexLast[1]);
    }

    private static string HexList(IEnumerable<ushort> values) =>
        string.Join(',', values.Select(v => v.ToString("x4", CultureInfo.InvariantCulture)));

    private static void AppendDecimal(StringBuilder sb, ushort[] values)
    {
        var first = true;
        foreach (var v in values)
        {
            if (IsGrease(v))
            {
                continue;
            }

            sb.Append(first ? "" : "-").Append(v.ToString(CultureInfo.InvariantCulture));
            first = false;
        }
    }

#pragma warning disable CA5351 // JA3 is defined as MD5; it names a client, it protects nothing.
    private static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text)));
#pragma warning restore CA5351

    private static string Sha256Prefix(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)))[..12];
}
