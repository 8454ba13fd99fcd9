using PoolDetector.Core.Decoding;
using PoolDetector.Core.Intel;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Intel;

public class PoolIntelTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static string IntelDir => Path.Combine(RepositoryPaths.Rules, "intel");

    private static PoolIntel Shipped { get; } = PoolIntel.LoadDirectory(IntelDir, Now);

    private static IntelLoadResult Load(string name, string text) => IntelLoader.Load([(name, text)], Now);

    private static PoolIntel LoadClean(string name, string text)
    {
        var result = Load(name, text);
        Assert.Empty(result.Errors);
        return result.Intel;
    }

    private const string Fields = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tconfidence\n";

    [Fact]
    public void Shipped_files_load_without_errors()
    {
        var result = IntelLoader.LoadDirectory(IntelDir, Now);
        Assert.Empty(result.Errors);
        Assert.Contains(result.Intel.Files, f => f.EndsWith("pools-domains.tsv", StringComparison.Ordinal));
        Assert.Contains(result.Intel.Files, f => f.EndsWith("pools-addresses.tsv", StringComparison.Ordinal));
        Assert.True(result.Intel.Domains.Count > 900, $"{result.Intel.Domains.Count} domains");
        Assert.True(result.Intel.Addresses.Count > 700, $"{result.Intel.Addresses.Count} addresses");
        Assert.Equal(0, result.Intel.Allowlist.Count);
    }

    [Theory]
    [InlineData("supportxmr.com", "pool", true)]
    [InlineData("pool.supportxmr.com", "pool", true)]
    [InlineData("xmr-eu1.nanopool.org", "pool", true)]
    [InlineData("www.coinhiveproxy.com", "browser", true)]
    [InlineData("xmr.2miners.com", "pool", false)] // flagged top-site: weak
    [InlineData("d1pool.ddns.net", "pool", false)] // dynamic DNS: weak
    public void Shipped_lists_name_known_pools(string name, string kind, bool strong)
    {
        Assert.True(Shipped.Domains.TryMatch(name, out var match), name);
        Assert.Equal(kind, match.Entry.Kind);
        Assert.Equal(strong, match.Entry.IsStrong);
        Assert.False(string.IsNullOrEmpty(match.Entry.Source));
    }

    [Theory]
    [InlineData("pool.ntp.org")]
    [InlineData("0.pool.ntp.org")]
    [InlineData("github.com")]
    [InlineData("google.com")]
    [InlineData("www.google.com")]
    [InlineData("cloudflare.com")]
    [InlineData("ddns.net")]
    [InlineData("other.ddns.net")]
    [InlineData("binance.com")]
    [InlineData("com")]
    public void Benign_names_match_nothing(string name)
    {
        Assert.False(Shipped.Domains.Matches(name), name);
        Assert.False(Shipped.Allowlist.IsAllowed(name));
    }

    [Fact]
    public void Shipped_lists_carry_only_permissive_sources()
    {
        string[] permissive = ["mempool_pools", "maltrail", "nocoin", "anudeepnd", "azure_sentinel", "falco", "hestat"];
        foreach (var file in Directory.GetFiles(IntelDir, "pools-*.tsv"))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0 && l[0] != '#'))
            {
                foreach (var source in line.Split('\t')[2].Split(','))
                {
                    Assert.Contains(source, permissive);
                }
            }
            Assert.Contains("Generated", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Shipped_cloud_addresses_are_weak_and_ports_respected()
    {
        Assert.True(Shipped.Addresses.TryMatch(IpAddress.Parse("101.32.166.253"), 3333, out var pool));
        Assert.True(pool.Entry.IsStrong);
        Assert.False(Shipped.Addresses.Matches(IpAddress.Parse("101.32.166.253"), 80));
        Assert.True(Shipped.Addresses.TryMatch(IpAddress.Parse("100.30.233.2"), 8086, out var cloud));
        Assert.False(cloud.Entry.IsStrong);
    }

    [Theory]
    [InlineData("pool.example.com", true)]
    [InlineData("eu.pool.example.com", true)]
    [InlineData("a.b.c.pool.example.com", true)]
    [InlineData("POOL.Example.COM", true)]
    [InlineData("Eu.Pool.Example.Com.", true)]
    [InlineData("notpool.example.com", false)]
    [InlineData("example.com", false)]
    [InlineData("pool.example.com.evil.net", false)]
    [InlineData("pool.example.co", false)]
    [InlineData("", false)]
    [InlineData(".", false)]
    public void Domains_match_on_label_boundaries(string name, bool expected)
    {
        var intel = LoadClean("mine.tsv", Fields + "pool.example.com\tDOMAIN\ttest\tpool\tstrong\n");
        Assert.Equal(expected, intel.Domains.Matches(name));
    }

    [Fact]
    public void Most_specific_domain_wins_and_host_entries_are_exact()
    {
        var intel = LoadClean("mine.tsv", Fields +
            "Example.NET.\tDOMAIN\ta\tpool-website\tweak\n" +
            "stratum.example.net\tDOMAIN\tb\tpool; the stratum host\tstrong\n" +
            "only.example.org\tHOST\tc\tpool\n" +
            "xn--mnero-lva.example\tDOMAIN\td\tpool\n" +
            "*.wild.example\tDOMAIN\te\tbrowser\n");
        Assert.True(intel.Domains.TryMatch("eu.stratum.example.net", out var m));
        Assert.Equal(("stratum.example.net", "b", "pool", true), (m.Indicator, m.Entry.Source, m.Entry.Kind, m.Entry.IsStrong));
        Assert.True(intel.Domains.TryMatch("www.example.net", out m));
        Assert.Equal(("example.net", "pool-website", false), (m.Indicator, m.Entry.Kind, m.Entry.IsStrong));
        Assert.True(intel.Domains.Matches("only.example.org"));
        Assert.False(intel.Domains.Matches("sub.only.example.org"));
        Assert.True(intel.Domains.Matches("pool.XN--MNERO-LVA.example"));
        Assert.True(intel.Domains.Matches("a.wild.example"));
    }

    [Fact]
    public void Zeek_intel_files_load_as_written()
    {
        var intel = LoadClean("zeek.tsv",
            "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n" +
            "zeek.example.com\tIntel::DOMAIN\t-\t-\n" +
            "198.51.100.0/24\tIntel::SUBNET\tfeed\tpool; hosted\n");
        Assert.True(intel.Domains.TryMatch("a.zeek.example.com", out var m));
        Assert.Equal(("zeek", "pool", true), (m.Entry.Source, m.Entry.Kind, m.Entry.IsStrong));
        Assert.True(intel.Addresses.TryMatch(IpAddress.Parse("198.51.100.1"), 0, out m));
        Assert.Equal(("198.51.100.0/24", "feed", "pool; hosted"), (m.Indicator, m.Entry.Source, m.Entry.Description));
    }

    [Fact]
    public void Addresses_match_longest_prefix_and_ports()
    {
        var intel = LoadClean("mine.tsv", Fields +
            "10.0.0.0/8\tSUBNET\twide\tpool\tweak\n" +
            "10.1.0.0/16\tSUBNET\tnarrow\tpool\n" +
            "10.1.2.3:3333\tADDR\tport\tpool\n" +
            "192.0.2.7\tADDR\texact\tpool\n" +
            "2001:db8::/32\tSUBNET\tv6wide\tpool\tweak\n" +
            "2001:db8:1::/48\tSUBNET\tv6narrow\tpool\n" +
            "[2001:db8:1::5]:443\tADDR\tv6port\tpool\n" +
            "2001:db8:2::9\tADDR\tv6exact\tpool\n");
        string? Source(string ip, ushort port) => intel.Addresses.TryMatch(IpAddress.Parse(ip), port, out var m) ? m.Entry.Source : null;
        Assert.Equal("wide", Source("10.200.0.1", 80));
        Assert.Equal("narrow", Source("10.1.9.9", 80));
        Assert.Equal("port", Source("10.1.2.3", 3333));
        Assert.Equal("narrow", Source("10.1.2.3", 3334));
        Assert.Equal("exact", Source("192.0.2.7", 1));
        Assert.Equal("exact", Source("::ffff:192.0.2.7", 1));
        Assert.Null(Source("192.0.2.8", 1));
        Assert.Null(Source("11.0.0.1", 1));
        Assert.Equal("v6wide", Source("2001:db8:ffff::1", 1));
        Assert.Equal("v6narrow", Source("2001:db8:1::6", 443));
        Assert.Equal("v6port", Source("2001:db8:1::5", 443));
        Assert.Equal("v6exact", Source("2001:db8:2::9", 7));
        Assert.Null(Source("2001:db9::1", 1));
    }

    [Fact]
    public void Bad_lines_are_all_reported_with_file_and_line()
    {
        var result = Load("bad.tsv", Fields +
            "10.0.0.0/33\tSUBNET\ts\tpool\n" +          // 2
            "10.0.0/8\tSUBNET\ts\tpool\n" +             // 3
            "10.0.0.1/8\tSUBNET\ts\tpool\n" +           // 4 host bits
            "pool.example.com\tURL\ts\tpool\n" +        // 5
            "pool.example.com\n" +                      // 6 missing columns
            "1.2.3\tADDR\ts\tpool\n" +                  // 7
            "1.2.3.4:99999\tADDR\ts\tpool\n" +          // 8
            "com\tDOMAIN\ts\tpool\n" +                  // 9
            "bad name.com\tDOMAIN\ts\tpool\n" +         // 10
            "ok.example.com\tDOMAIN\ts\tpool\tmaybe\n" + // 11
            "good.example.com\tDOMAIN\ts\tpool\n");     // 12
        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 9, 10, 11], result.Errors.Select(e => e.Line));
        Assert.All(result.Errors, e => Assert.Equal("bad.tsv", e.File));
        Assert.StartsWith("bad.tsv:5: unknown indicator_type 'URL'", result.Errors[3].ToString(), StringComparison.Ordinal);
        Assert.Contains("missing columns", result.Errors[4].Problem, StringComparison.Ordinal);
        Assert.True(result.Intel.Domains.Matches("good.example.com"));
        var thrown = Assert.Throws<RuleLoadException>(() => ThrowIfBad(result));
        Assert.Equal(10, thrown.Errors.Count);
    }

    private static void ThrowIfBad(IntelLoadResult result)
    {
        if (result.Errors.Count > 0)
        {
            throw new RuleLoadException(result.Errors);
        }
    }

    [Fact]
    public void Error_flood_is_bounded()
    {
        var text = string.Concat(Enumerable.Repeat("x y\n", 1000));
        var result = Load("flood.txt", text);
        Assert.Equal(IntelLoader.MaxErrorsPerFile + 1, result.Errors.Count);
        Assert.Contains("900 more", result.Errors[^1].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Allowlist_expiry_is_honoured_and_counted()
    {
        var intel = LoadClean("allowlist.tsv",
            "# comment\n#fields\tindicator\tindicator_type\treason\texpires\n" +
            "10.20.30.40\tADDR\tresearch box\t2026-12-31\n" +
            "10.9.0.0/16\tSUBNET\tlab\tnever\n" +
            "old.example.com\tDOMAIN\tlapsed\t2026-05-31\n" +
            "today.example.com\tDOMAIN\tlast day\t2026-06-01\n" +
            "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx\tWALLET\tour own pool account\t2027-01-01\n" +
            "192.0.2.1\tADDR\told\t2025-01-01\n");
        var allow = intel.Allowlist;
        Assert.Equal(2, allow.ExpiredCount);
        Assert.True(allow.IsAllowed(IpAddress.Parse("10.20.30.40")));
        Assert.True(allow.IsAllowed(IpAddress.Parse("10.9.1.1")));
        Assert.False(allow.IsAllowed(IpAddress.Parse("192.0.2.1")));
        Assert.False(allow.IsAllowed("old.example.com"));
        Assert.True(allow.IsAllowed("today.example.com"));
        Assert.True(allow.TryMatchWallet("4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx", out var wallet));
        Assert.Equal("our own pool account", wallet.Entry.Description);
        Assert.Equal(new DateOnly(2026, 6, 1), intel.NextAllowlistExpiry);
        Assert.Equal(0, intel.Count);
    }

    [Fact]
    public void Allowlist_bad_lines_are_errors()
    {
        var result = Load("allowlist-ops.tsv",
            "10.0.0.1\tADDR\t\t2026-12-31\n" +
            "10.0.0.2\tADDR\tno date\tsoon\n" +
            "10.0.0.3\tWALLET2\tx\tnever\n" +
            "10.0.0.300\tADDR\tlapsed typo\t2020-01-01\n");
        Assert.Equal([1, 2, 3, 4], result.Errors.Select(e => e.Line));
        Assert.Equal(0, result.Intel.Allowlist.ExpiredCount);
    }

    [Fact]
    public void Hosts_and_plain_formats_load()
    {
        var result = IntelLoader.Load(
        [
            ("blocklist.hosts", "# a hosts file\n127.0.0.1 localhost\n0.0.0.0 coin.example.com  miner.example.net # trailing\n:: v6.example.org\nnot-an-address x.example.com\n"),
            ("mine.txt", "# source: my-team\n# kind: browser\n# confidence: weak\nweb.example.io\n203.0.113.5:4444\n198.51.100.0/24\n\n"),
        ], Now);
        Assert.Equal(["blocklist.hosts:5: hosts-file line must start with an address, not 'not-an-address'"], result.Errors.Select(e => e.ToString()));
        var intel = result.Intel;
        Assert.True(intel.Domains.TryMatch("a.coin.example.com", out var m));
        Assert.Equal(("blocklist", "pool", true), (m.Entry.Source, m.Entry.Kind, m.Entry.IsStrong));
        Assert.True(intel.Domains.Matches("miner.example.net"));
        Assert.True(intel.Domains.Matches("v6.example.org"));
        Assert.False(intel.Domains.Matches("localhost"));
        Assert.True(intel.Domains.TryMatch("cdn.web.example.io", out m));
        Assert.Equal(("my-team", "browser", false), (m.Entry.Source, m.Entry.Kind, m.Entry.IsStrong));
        Assert.True(intel.Addresses.Matches(IpAddress.Parse("203.0.113.5"), 4444));
        Assert.False(intel.Addresses.Matches(IpAddress.Parse("203.0.113.5"), 4445));
        Assert.True(intel.Addresses.Matches(IpAddress.Parse("198.51.100.77"), 1));
    }

    [Fact]
    public void Directory_loads_every_intel_file_and_ignores_others()
    {
        var dir = Directory.CreateTempSubdirectory("intel-test");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "ops.tsv"), Fields + "ops.example.com\tDOMAIN\tops\tpool\n");
            File.WriteAllText(Path.Combine(dir.FullName, "list.txt"), "txt.example.com\n");
            File.WriteAllText(Path.Combine(dir.FullName, "README.md"), "not intel\n");
            var intel = PoolIntel.LoadDirectory(dir.FullName, Now);
            Assert.Equal(2, intel.Files.Count);
            Assert.True(intel.Domains.Matches("ops.example.com") && intel.Domains.Matches("txt.example.com"));
            File.WriteAllText(Path.Combine(dir.FullName, "broken.tsv"), "x\tNOPE\n");
            var e = Assert.Throws<RuleLoadException>(() => PoolIntel.LoadDirectory(dir.FullName, Now));
            Assert.EndsWith("broken.tsv", Assert.Single(e.Errors).File, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        Assert.Equal(0, PoolIntel.LoadDirectory(Path.Combine(dir.FullName, "gone"), Now).Count);
    }
}
