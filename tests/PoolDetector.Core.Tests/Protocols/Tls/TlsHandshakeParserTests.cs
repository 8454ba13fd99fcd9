using PoolDetector.Core.Protocols.Tls;
using static PoolDetector.Core.Tests.Protocols.Tls.TlsHelloBuilder;

namespace PoolDetector.Core.Tests.Protocols.Tls;

public class TlsHandshakeParserTests
{
    public static TheoryData<string, string, string, bool> RealHellos => new()
    {
        { TlsCaptures.FirefoxClientHello, "www.ntop.org", "h2", true },
        { TlsCaptures.CurlClientHello, "www.ntop.org", "h2", false },
        { TlsCaptures.ChromeEchClientHello, "performance.radar.cloudflare.com", "h2", true },
    };

    public static TheoryData<string> AllCaptures => new()
    {
        TlsCaptures.FirefoxClientHello, TlsCaptures.CurlClientHello, TlsCaptures.ChromeEchClientHello, TlsCaptures.HugeClientHello,
        TlsCaptures.FirefoxServerFlight, TlsCaptures.CurlServerFlight, TlsCaptures.ChromeEchServerFlight,
    };

    [Theory]
    [MemberData(nameof(RealHellos))]
    public void Parses_real_client_hellos(string hex, string sni, string firstAlpn, bool offersTls13)
    {
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(Convert.FromHexString(hex), out var hello));
        Assert.NotNull(hello);
        Assert.Equal(sni, hello.ServerName);
        Assert.Equal(firstAlpn, hello.AlpnProtocols[0]);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(0x0301, hello.RecordVersion);
        Assert.Equal(offersTls13, TlsShapes.Shape(hello).OffersTls13);
        Assert.True(TlsShapes.Shape(hello).HasSni);
        Assert.False(TlsShapes.IsXmrigDefaultShape(hello));
    }

    [Fact]
    public void Firefox_hello_fields_in_wire_order()
    {
        TlsHandshakeParser.ParseClientHello(Convert.FromHexString(TlsCaptures.FirefoxClientHello), out var hello);
        Assert.NotNull(hello);
        Assert.Equal([0, 23, 65281, 10, 11, 35, 16, 5, 51, 43, 13, 45, 28, 21], hello.Extensions.Select(e => (int)e));
        Assert.Equal([29, 23, 24, 25, 256, 257], hello.SupportedGroups.Select(g => (int)g));
        Assert.Equal([(byte)0], hello.EcPointFormats);
        Assert.Equal(["h2", "http/1.1"], hello.AlpnProtocols);
        Assert.Equal([0x0304, 0x0303, 0x0302, 0x0301], hello.SupportedVersions.Select(v => (int)v));
        Assert.Equal(0x0403, hello.SignatureAlgorithms[0]);
    }

    [Fact]
    public void Hello_split_across_three_segments()
    {
        var bytes = Convert.FromHexString(TlsCaptures.ChromeEchClientHello);
        int[] cuts = [3, 200, bytes.Length];
        var statuses = cuts.Select(c => TlsHandshakeParser.ParseClientHello(bytes.AsSpan(0, c), out _)).ToArray();
        Assert.Equal([TlsParseStatus.NeedMore, TlsParseStatus.NeedMore, TlsParseStatus.Complete], statuses);
    }

    [Fact]
    public void Real_eleven_kilobyte_hello_in_twelve_captured_segments()
    {
        var bytes = Convert.FromHexString(TlsCaptures.HugeClientHello);
        var end = 0;
        TlsClientHello? hello = null;
        foreach (var segment in TlsCaptures.HugeClientHelloSegments)
        {
            end += segment;
            var status = TlsHandshakeParser.ParseClientHello(bytes.AsSpan(0, end), out hello);
            Assert.Equal(end == bytes.Length ? TlsParseStatus.Complete : TlsParseStatus.NeedMore, status);
        }

        Assert.NotNull(hello);
        Assert.Null(hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.AlpnProtocols);
        // tshark 4.0.17's tls.handshake.ja3 for this packet.
        Assert.Equal("66d6080b942b0b593896bf729f3fd326", TlsFingerprints.Ja3(hello));
        // Spec-derived (see TlsFingerprintTests.Ja4_of_real_hellos): no SNI gives 'i'.
        Assert.Equal("t13i1811h2_f71e3e15ae0d_5c3a8cf9b2bc", TlsFingerprints.Ja4(hello));
        // No SNI but ALPN: ordinary software, not XMRig's default shape.
        Assert.False(TlsShapes.IsXmrigDefaultShape(hello));
    }

    [Fact]
    public void Hello_fragmented_across_records()
    {
        var bytes = Convert.FromHexString(TlsCaptures.FirefoxClientHello);
        var handshake = bytes[5..];
        var fragmented = Records(handshake, fragment: 100);
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(fragmented, out var hello));
        Assert.Equal("www.ntop.org", hello!.ServerName);
        Assert.Equal(TlsParseStatus.NeedMore, TlsHandshakeParser.ParseClientHello(fragmented.AsSpan(0, 300), out _));
    }

    [Theory]
    [MemberData(nameof(AllCaptures))]
    public void Truncated_at_every_length_needs_more_and_never_completes(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var client = bytes[5] == 1;
        for (var n = 0; n < bytes.Length; n++)
        {
            object? hello;
            var status = client
                ? ParseClient(bytes.AsSpan(0, n), out hello)
                : ParseServer(bytes.AsSpan(0, n), out hello);
            Assert.True(status == TlsParseStatus.NeedMore, $"prefix {n}: {status}");
            Assert.Null(hello);
        }
    }

    private static TlsParseStatus ParseClient(ReadOnlySpan<byte> bytes, out object? hello)
    {
        var status = TlsHandshakeParser.ParseClientHello(bytes, out var client);
        hello = client;
        return status;
    }

    private static TlsParseStatus ParseServer(ReadOnlySpan<byte> bytes, out object? hello)
    {
        var status = TlsHandshakeParser.ParseServerHello(bytes, out var server);
        hello = server;
        return status;
    }

    [Fact]
    public void Handshake_length_of_16_megabytes_is_too_large()
    {
        byte[] bytes = [0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0xff, 0xff, 0xff, .. new byte[60]];
        Assert.Equal(TlsParseStatus.TooLarge, TlsHandshakeParser.ParseClientHello(bytes, out var hello));
        Assert.Null(hello);
        Assert.Equal(TlsParseStatus.TooLarge, TlsHandshakeParser.ParseServerHello([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0xff, 0xff, 0xff], out _));
    }

    [Fact]
    public void Record_longer_than_tls_allows_is_malformed()
    {
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello([0x16, 0x03, 0x01, 0xff, 0xff, 0x01], out _));
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello([0x16, 0x03, 0x01, 0x00, 0x00], out _));
    }

    [Fact]
    public void Extension_length_past_the_end_is_malformed()
    {
        var handshake = ClientHello([0x1301], Sni("pool.example"));
        // The SNI extension's own length (after type 0x0000) now claims 0x7fff bytes.
        var at = handshake.Length - Sni("pool.example").Data.Length - 2;
        handshake[at] = 0x7f;
        handshake[at + 1] = 0xff;
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello(Records(handshake), out var hello));
        Assert.Null(hello);
    }

    [Fact]
    public void Inner_list_lengths_past_the_extension_are_malformed()
    {
        (ushort, byte[]) badAlpn = (0x0010, [0x00, 0x09, 0x02, (byte)'h', (byte)'2']);
        (ushort, byte[]) badSni = (0x0000, [0x00, 0x05, 0x00, 0x00, 0x10, (byte)'a', (byte)'b']);
        (ushort, byte[]) oddVersions = (0x002b, [0x03, 0x03, 0x04, 0x03]);
        foreach (var ext in new[] { badAlpn, badSni, oddVersions })
        {
            Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello(Records(ClientHello([0x1301], ext)), out _));
        }
    }

    [Fact]
    public void Seventy_thousand_extensions_are_refused_by_the_bound()
    {
        var many = Enumerable.Range(0, 70_000).Select(i => Empty((ushort)(0x1000 + (i % 0x8000)))).ToArray();
        var handshake = ClientHello([0x1301], many);
        Assert.Equal(TlsParseStatus.TooLarge, TlsHandshakeParser.ParseClientHello(Records(handshake), out var hello));
        Assert.Null(hello);
    }

    [Fact]
    public void As_many_extensions_as_fit_the_bound_parse_and_cap_the_ja4_count()
    {
        var many = Enumerable.Range(0, 3_000).Select(i => Empty((ushort)(0x1000 + i))).ToArray();
        Assert.Equal(TlsParseStatus.Complete, TlsHandshakeParser.ParseClientHello(Records(ClientHello([0x1301], many)), out var hello));
        Assert.Equal(3_000, hello!.Extensions.Length);
        Assert.StartsWith("t12i0199", TlsFingerprints.Ja4(hello), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("474554202f20485454502f312e310d0a")] // GET / HTTP/1.1
    [InlineData("7b226964223a312c226d6574686f64223a226c6f67696e227d")] // {"id":1,"method":"login"}
    [InlineData("80c4010301009b")] // SSLv2-framed hello
    [InlineData("1703030020")] // application data first
    [InlineData("1602")] // handshake record, not version 3
    [InlineData("160309")] // minor version past TLS 1.3
    [InlineData("00")]
    public void Non_tls_first_bytes_are_rejected(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.False(TlsHandshakeParser.MayBeTls(bytes));
        Assert.Equal(TlsParseStatus.NotTls, TlsHandshakeParser.ParseClientHello(bytes, out _));
        Assert.Equal(TlsParseStatus.NotTls, TlsHandshakeParser.ParseServerHello(bytes, out _));
    }

    [Fact]
    public void A_server_hello_in_the_client_direction_is_malformed()
    {
        var server = Records(TlsHelloBuilder.ServerHello(0x0303, 0xc02f));
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello(server, out _));
    }

    [Fact]
    public void Alert_before_the_hello_completes_is_malformed()
    {
        var bytes = Convert.FromHexString(TlsCaptures.FirefoxClientHello);
        byte[] partial = [.. Records(bytes[5..105]), 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
        Assert.Equal(TlsParseStatus.Malformed, TlsHandshakeParser.ParseClientHello(partial, out _));
    }

    [Fact]
    public void Random_corruption_never_throws()
    {
        var random = new Random(4);
        foreach (var hex in new[] { TlsCaptures.FirefoxClientHello, TlsCaptures.CurlServerFlight })
        {
            var original = Convert.FromHexString(hex);
            for (var i = 0; i < 3_000; i++)
            {
                var bytes = (byte[])original.Clone();
                for (var k = random.Next(1, 6); k > 0; k--)
                {
                    bytes[random.Next(1, bytes.Length)] = (byte)random.Next(256);
                }

                var length = random.Next(bytes.Length + 1);
                if (TlsHandshakeParser.ParseClientHello(bytes.AsSpan(0, length), out var hello) == TlsParseStatus.Complete)
                {
                    _ = TlsFingerprints.Ja3(hello!) + TlsFingerprints.Ja4(hello!);
                }

                if (TlsHandshakeParser.ParseServerHello(bytes.AsSpan(0, length), out var server) == TlsParseStatus.Complete)
                {
                    _ = TlsFingerprints.Ja3s(server!);
                }
            }
        }
    }
}
