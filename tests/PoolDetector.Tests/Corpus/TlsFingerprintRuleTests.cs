using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Corpus;

/// <summary>rules/tls.yml: miner fingerprints an operator verified raise pool contact on their own.</summary>
public class TlsFingerprintRuleTests
{
    // The JA4 of the ClientHello in pcaps/stratum-tls-sni.pcap (Node 20's OpenSSL 3.0, SNI, no ALPN).
    private const string RecordedJa4 = "t13d591000_a33745022dd6_1f22a2ca17c4";

    private static RuleSet RulesWith(string tlsYml) =>
        RuleLoader.Load(
            [.. Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal)
                .Where(f => Path.GetFileName(f) != "tls.yml")
                .Select(f => (f, File.ReadAllText(f))), ("tls.yml", tlsYml)],
            CaptureRunner.Rules.Intel);

    private static List<MiningDetection> Analyze(RuleSet rules, string capture) =>
        CaptureRunner.Run(Path.Combine(RepositoryPaths.Pcaps, capture), rules);

    [Fact]
    public void A_listed_fingerprint_is_evidence_and_names_the_software()
    {
        var rules = RulesWith($"kind: tls_fingerprints\nfingerprints:\n  - ja4: {RecordedJa4}\n    software: TestMiner 1.0\n    source: pcaps/stratum-tls-sni.pcap\n");

        var detection = Assert.Single(Analyze(rules, "stratum-tls-sni.pcap"));

        // The pool's SNI is still the strongest signal; the fingerprint joins the evidence.
        Assert.Equal("pool-tls-sni", detection.Dialect);
        Assert.Contains($"tls-fingerprint:{RecordedJa4}=TestMiner 1.0", detection.Evidence);
        Assert.Empty(Analyze(rules, "tls-benign.pcap"));
    }

    [Fact]
    public void The_shipped_list_is_empty_and_changes_nothing()
    {
        Assert.Empty(CaptureRunner.Rules.TlsFingerprints);
        Assert.Empty(Analyze(CaptureRunner.Rules, "tls-benign.pcap"));
    }

    [Theory]
    [InlineData("  - ja4: t13d591000_a33745022dd6_1f22a2ca17c4\n    ja3: 0cce74b0d9b7f8528fb2181588d23793\n    software: x\n    source: y\n", 3, "exactly one of 'ja4' and 'ja3'")]
    [InlineData("  - ja4: t13d591000_a33745022dd6\n    software: x\n    source: y\n", 3, "is not a JA4 fingerprint")]
    [InlineData("  - ja3: 0cce74b0\n    software: x\n    source: y\n", 3, "is not a JA3 fingerprint")]
    [InlineData("  - ja3: 0cce74b0d9b7f8528fb2181588d23793\n    software: x\n", 3, "missing 'source'")]
    public void A_bad_fingerprint_is_named_with_its_line(string entry, int line, string problem)
    {
        var e = Assert.Throws<RuleLoadException>(() => RulesWith("kind: tls_fingerprints\nfingerprints:\n" + entry));

        var error = Assert.Single(e.Errors);
        Assert.Equal("tls.yml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }
}
