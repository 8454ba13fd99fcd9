using PoolDetector.Core.Protocols.Tls;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Protocols.Tls;

public class TlsFingerprintTests
{
    private static TlsClientHello Client(string hex)
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(Convert.FromHexString(hex), out var hello));
        return hello!;
    }

    private static TlsServerHello Server(string hex)
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseServerHello(Convert.FromHexString(hex), out var hello));
        return hello!;
    }

    // Expected values: tshark 4.0.17 -e tls.handshake.ja3_full -e tls.handshake.ja3 on the same packets.
    [Theory]
    [InlineData(nameof(TlsCaptures.FirefoxClientHello), "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-51-57-47-53-10,0-23-65281-10-11-35-16-5-51-43-13-45-28-21,29-23-24-25-256-257,0", "b20b44b18b853ef29ab773e921b03422")]
    [InlineData(nameof(TlsCaptures.CurlClientHello), "771,52244-52243-52245-49200-49196-49192-49188-49172-49162-163-159-107-106-57-56-65413-196-195-136-135-129-49202-49198-49194-49190-49167-49157-157-61-53-192-132-49199-49195-49191-49187-49171-49161-162-158-103-64-51-50-190-189-69-68-49201-49197-49193-49189-49166-49156-156-60-47-186-65-49170-49160-22-19-49165-49155-10-255,0-11-10-13-13172-16-21,14-13-25-28-11-12-27-24-9-10-26-22-23-8-6-7-20-21-4-5-18-19-1-2-3-15-16-17,0-1-2", "2a26b1a62e40d25d4de3babc9d532f30")]
    [InlineData(nameof(TlsCaptures.ChromeEchClientHello), "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,51-35-65281-45-27-10-23-5-18-43-13-16-0-65037-11-17513,29-23-24,0", "6820f114cf3b0809ffdcb30cb277848a")]
    public void Ja3_matches_tshark(string capture, string ja3String, string ja3)
    {
        var hello = Client(Hex(capture));
        Assert.Equal(ja3String, TlsFingerprints.Ja3String(hello));
        Assert.Equal(ja3, TlsFingerprints.Ja3(hello));
    }

    [Theory]
    [InlineData(nameof(TlsCaptures.FirefoxServerFlight), "771,52392,65281-0-11-35-16-23", "3653a20186a5b490426131a611e01992")]
    [InlineData(nameof(TlsCaptures.CurlServerFlight), "771,49199,65281-0-11-16", "ae53107a2e47ea20c72ac44821a728bf")]
    [InlineData(nameof(TlsCaptures.ChromeEchServerFlight), "771,4865,51-43", "eb1d94daa7e0344597e756a1fb6e7054")]
    public void Ja3s_matches_tshark(string capture, string ja3sString, string ja3s)
    {
        var hello = Server(Hex(capture));
        Assert.Equal(ja3sString, TlsFingerprints.Ja3sString(hello));
        Assert.Equal(ja3s, TlsFingerprints.Ja3s(hello));
    }

    /// <summary>
    /// tshark 4.0 has no JA4 field, so these were computed from the spec (FoxIO-LLC/ja4
    /// technical_details/JA4.md) by a separate throwaway Python script over the same bytes,
    /// and the intermediate lists are checked too. Firefox: TLS 1.3 in supported_versions,
    /// SNI, 18 ciphers, 14 extensions, ALPN h2. Curl (OpenSSL 1.0-era): no supported_versions
    /// so the legacy 1.2 version, 67 ciphers, 7 extensions. Chrome: 15 ciphers and 16
    /// extensions after dropping GREASE; its cipher hash 8daaf6152771 is the one published in
    /// the spec's own example, since Chrome's cipher list has not changed.
    /// </summary>
    [Theory]
    [InlineData(nameof(TlsCaptures.FirefoxClientHello), "t13d1814h2_29a2cd9e9f10_d267a5f792d4",
        "0005,000a,000b,000d,0015,0017,001c,0023,002b,002d,0033,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201")]
    [InlineData(nameof(TlsCaptures.CurlClientHello), "t12d6707h2_2955a3196ffa_c83f907a73d3",
        "000a,000b,000d,0015,3374_0601,0602,0603,efef,0501,0502,0503,0401,0402,0403,eeee,eded,0301,0302,0303,0201,0202,0203")]
    [InlineData(nameof(TlsCaptures.ChromeEchClientHello), "t13d1516h2_8daaf6152771_02713d6af862",
        "0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,4469,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601")]
    public void Ja4_of_real_hellos(string capture, string ja4, string extensionList)
    {
        var hello = Client(Hex(capture));
        Assert.Equal(extensionList, TlsFingerprints.Ja4ExtensionList(hello));
        Assert.Equal(ja4, TlsFingerprints.Ja4(hello));
    }

    /// <summary>
    /// A published pair (browserleaks.com output for Chrome 143, quoted in the search corpus):
    /// ja3_text/ja3_hash and ja4/ja4_r of a hello with these values. The hello is rebuilt
    /// from the raw lists; JA4 must come out the same whatever the extension order.
    /// </summary>
    [Fact]
    public void Published_chrome_example_gives_published_ja3_and_ja4()
    {
        ushort[] ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
        ushort[] sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
        var hello = Build(ClientHello(
            [0x3a3a, .. ciphers],
            Empty(0x8a8a), Empty(45), Empty(51), Alpn("h2", "http/1.1"), Empty(65037), Empty(23), Empty(17613), Sni("tls.browserleaks.com"),
            PointFormats(0), Groups(0x5a5a, 4588, 29, 23, 24), SupportedVersions(0x6a6a, 0x0304, 0x0303), Empty(65281), Empty(35), Empty(18), Empty(5),
            SignatureAlgorithms(sigalgs), Empty(27), Empty(0x1a1a)));

        Assert.Equal("771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0", TlsFingerprints.Ja3String(hello));
        Assert.Equal("98487aa16281980e7d1120d399efb6a4", TlsFingerprints.Ja3(hello));
        Assert.Equal("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9", TlsFingerprints.Ja4CipherList(hello));
        Assert.Equal("0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601", TlsFingerprints.Ja4ExtensionList(hello));
        Assert.Equal("t13d1516h2_8daaf6152771_d8a2da3f94cd", TlsFingerprints.Ja4(hello));
    }

    [Fact]
    public void Grease_changes_no_fingerprint()
    {
        (ushort, byte[])[] plain = [Sni("a.example"), Groups(29, 23), SupportedVersions(0x0304), SignatureAlgorithms(0x0403)];
        (ushort, byte[])[] greased = [Empty(0x0a0a), Sni("a.example"), Groups(0xfafa, 29, 23), SupportedVersions(0x2a2a, 0x0304), SignatureAlgorithms(0xdada, 0x0403), Empty(0xeaea)];
        var a = Build(ClientHello([0x1301, 0x1302], plain));
        var b = Build(ClientHello([0xbaba, 0x1301, 0x1302], greased));
        Assert.Equal(TlsFingerprints.Ja3String(a), TlsFingerprints.Ja3String(b));
        Assert.Equal(TlsFingerprints.Ja3(a), TlsFingerprints.Ja3(b));
        Assert.Equal(TlsFingerprints.Ja4(a), TlsFingerprints.Ja4(b));
        Assert.StartsWith("t13d0204", TlsFingerprints.Ja4(b), StringComparison.Ordinal);
        Assert.Equal(4, b.Extensions.Count(e => !TlsFingerprints.IsGrease(e)));
    }

    [Theory]
    [InlineData(0x0a0a, true)]
    [InlineData(0xfafa, true)]
    [InlineData(0x1a1a, true)]
    [InlineData(0x0a1a, false)]
    [InlineData(0x1301, false)]
    [InlineData(0xeeee, false)]
    public void Grease_values(int value, bool grease) => Assert.Equal(grease, TlsFingerprints.IsGrease((ushort)value));

    [Theory]
    [InlineData(null, "00")]
    [InlineData("h2", "h2")]
    [InlineData("http/1.1", "h1")]
    [InlineData("x", "xx")]
    [InlineData("\u00abh2", "a2")] // 0xab first: hex "ab" gives 'a'
    [InlineData("h2\u0009", "69")] // last byte 0x09 is not alphanumeric: hex nibbles of 'h' (0x68) and 0x09
    public void Ja4_alpn_characters(string? alpn, string expected)
    {
        var extensions = alpn is null ? new[] { Sni("a") } : [Sni("a"), Alpn(alpn)];
        var ja4 = TlsFingerprints.Ja4(Build(ClientHello([0x1301], extensions)));
        Assert.Equal(expected, ja4[8..10]);
    }

    [Fact]
    public void No_signature_algorithms_means_no_underscore_and_no_extensions_means_zeros()
    {
        var hello = Build(ClientHello([0x002f], Empty(23), Empty(65281)));
        Assert.Equal("0017,ff01", TlsFingerprints.Ja4ExtensionList(hello));

        var bare = Build(ClientHello([0x002f]));
        Assert.Equal("t12i010000_" + TlsFingerprints.Ja4(bare)[11..23] + "_000000000000", TlsFingerprints.Ja4(bare));
        Assert.Equal("771,47,,,", TlsFingerprints.Ja3String(bare));
    }

    internal static TlsClientHello Build(byte[] handshake)
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(Records(handshake), out var hello));
        return hello!;
    }

    private static string Hex(string name) =>
        (string)typeof(TlsCaptures).GetField(name)!.GetRawConstantValue()!;
}
