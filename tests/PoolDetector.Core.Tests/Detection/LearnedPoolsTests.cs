using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Intel;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// The learned pool list as other sensors receive it: names from the traffic never forge
/// lines or columns, merging widens what is known, and a damaged file says which lines it lost.
/// </summary>
public class LearnedPoolsTests
{
    private static readonly IpAddress Pool = IpAddress.Parse("203.0.113.5");
    private const long Monday = 1_715_000_000_000_000;

    private static string Saved(LearnedPools pools)
    {
        using var writer = new StringWriter();
        pools.Save(writer);
        return writer.ToString();
    }

    [Fact]
    public void A_name_carrying_tabs_or_newlines_is_not_learned_and_cannot_forge_a_line()
    {
        var pools = new LearnedPools();
        // What a hostile miner could put in mining.subscribe's host parameter.
        pools.Learn(Pool, 3333, "x.example\tHOST\tpooldetector-learned\tpool\tstrong\nwww.google.com", "stratum-v1", Monday);

        var text = Saved(pools);
        var intel = IntelLoader.Load([("learned.tsv", text)], DateTimeOffset.UnixEpoch);

        Assert.Empty(intel.Errors);
        Assert.False(intel.Intel.Domains.Matches("www.google.com"));
        Assert.True(intel.Intel.Addresses.Matches(Pool, 3333));
        Assert.DoesNotContain("HOST", text, StringComparison.Ordinal);
        Assert.Null(Assert.Single(pools.Endpoints).Name);
    }

    [Theory]
    [InlineData("Pool.Example.COM.", "pool.example.com")]
    [InlineData("localhost", null)]
    [InlineData("p\u00f6\u00f6l.example", null)]
    [InlineData("a;b.example", null)]
    [InlineData("", null)]
    public void Names_are_kept_only_as_dns_names(string given, string? kept) => Assert.Equal(kept, LearnedPools.HostName(given));

    [Fact]
    public void Merge_widens_first_and_last_seen_adds_sessions_and_fills_a_missing_name()
    {
        var pools = new LearnedPools();
        pools.Learn(Pool, 3333, null, "stratum-v1", Monday + 5_000_000);
        pools.Merge(new LearnedEndpoint(Pool, 3333, "eu.pool.example", "stratum-v1", Monday, Monday + 1_000_000, 2));

        var entry = Assert.Single(pools.Endpoints);
        Assert.Equal(Monday, entry.FirstSeenMicros);
        Assert.Equal(Monday + 5_000_000, entry.LastSeenMicros);
        Assert.Equal(3, entry.Sessions);
        Assert.Equal("eu.pool.example", entry.Name);
        Assert.True(pools.Changed);
    }

    [Fact]
    public void Save_then_load_gives_the_same_file()
    {
        var pools = new LearnedPools();
        pools.Learn(Pool, 3333, "eu.pool.example", "stratum-v1", Monday);
        pools.Learn(IpAddress.Parse("2001:db8::5"), 14444, null, "cryptonote", Monday + 1);
        pools.Learn(Pool, 3333, null, "stratum-v1", Monday + 2);
        var text = Saved(pools);

        var loaded = new LearnedPools();
        var problems = new List<string>();
        Assert.Equal(2, loaded.Load(new StringReader(text), problems));

        Assert.Empty(problems);
        Assert.False(loaded.Changed);
        Assert.Equal(text, Saved(loaded));
        Assert.True(loaded.KnowsName("EU.pool.example."));
    }

    [Fact]
    public void Damaged_lines_are_reported_by_number_and_the_good_ones_kept()
    {
        var pools = new LearnedPools();
        pools.Learn(Pool, 3333, "eu.pool.example", "stratum-v1", Monday);
        var lines = Saved(pools).Split('\n').ToList();
        var good = lines[3];
        lines.Insert(4, good[..20]);                                          // 5: cut short
        lines.Insert(5, good.Replace("203.0.113.5:3333", "203.0.113.5:0", StringComparison.Ordinal)); // 6: no port
        lines.Insert(6, good.Replace("ADDR", "SUBNET", StringComparison.Ordinal));                    // 7: not ours
        lines.Insert(7, good.Replace("first_seen=", "first=", StringComparison.Ordinal));             // 8: no first_seen
        lines.Insert(8, good.Replace("3333", "4444", StringComparison.Ordinal).Replace("name=eu.pool.example", "name=evil\u0007.example", StringComparison.Ordinal)); // 9

        var loaded = new LearnedPools();
        var problems = new List<string>();
        var read = loaded.Load(new StringReader(string.Join('\n', lines)), problems);

        Assert.Equal(2, read);
        Assert.Collection(problems,
            p => Assert.StartsWith("5: expected 5 tab-separated fields", p, StringComparison.Ordinal),
            p => Assert.Equal("6: '203.0.113.5:0' is not an address:port", p),
            p => Assert.StartsWith("7: indicator_type 'SUBNET'", p, StringComparison.Ordinal),
            p => Assert.Equal("8: first_seen and last_seen are required", p),
            p => Assert.StartsWith("9: name 'evil", p, StringComparison.Ordinal));
        Assert.True(loaded.TryMatch(Pool, 4444, out var kept, out var samePort));
        Assert.True(samePort);
        Assert.Null(kept.Name);
    }
}
