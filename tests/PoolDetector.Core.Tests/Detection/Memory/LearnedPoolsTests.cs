using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Intel;

namespace PoolDetector.Core.Tests.Detection.Memory;

public class LearnedPoolsTests
{
    /// <summary>2026-11-02T09:00:00Z.</summary>
    private const long T0 = 1_793_610_000_000_000;
    private const long Second = 1_000_000;
    private static readonly IpAddress Pool = IpAddress.Parse("198.51.100.9");

    private const string Header =
        "# Pool endpoints PoolDetector saw serve confirmed mining sessions (learned intel).\n" +
        "# Load it on another sensor by copying it into rules/intel/. Format: rules/intel/README.md.\n" +
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tconfidence\n";

    private static string Saved(LearnedPools learned)
    {
        using var writer = new StringWriter();
        writer.NewLine = "\n";
        learned.Save(writer);
        return writer.ToString();
    }

    private static (LearnedPools Pools, int Read, List<string> Problems) Loaded(string text)
    {
        var pools = new LearnedPools();
        var problems = new List<string>();
        var read = pools.Load(new StringReader(text), problems);
        return (pools, read, problems);
    }

    [Fact]
    public void A_learned_endpoint_matches_itself_on_the_same_port()
    {
        var learned = new LearnedPools();
        Assert.False(learned.Changed);
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0);

        Assert.True(learned.Changed);
        Assert.Equal(1, learned.Count);
        Assert.True(learned.TryMatch(Pool, 4444, out var endpoint, out var samePort));
        Assert.True(samePort);
        Assert.Equal(new LearnedEndpoint(Pool, 4444, "pool.example.org", "stratum-v1", T0, T0, 1), endpoint);
    }

    [Fact]
    public void Another_port_of_a_learned_address_matches_the_latest_endpoint_learned_there()
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0);
        learned.Learn(Pool, 3333, null, "cryptonote", T0 + Second);

        Assert.True(learned.TryMatch(Pool, 5555, out var endpoint, out var samePort));
        Assert.False(samePort);
        Assert.Equal(new LearnedEndpoint(Pool, 3333, null, "cryptonote", T0 + Second, T0 + Second, 1), endpoint);
        Assert.False(learned.TryMatch(IpAddress.Parse("198.51.100.10"), 4444, out _, out samePort));
        Assert.False(samePort);
    }

    [Fact]
    public void Learning_an_endpoint_again_counts_the_session_and_keeps_the_first_name_and_time()
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, null, "stratum-v1", T0);
        learned.Learn(Pool, 4444, "pool.example.org", "cryptonote", T0 + (10 * Second));
        learned.Learn(Pool, 4444, "other.example.org", "cryptonote", T0 + (5 * Second));

        Assert.Equal(1, learned.Count);
        Assert.True(learned.TryMatch(Pool, 4444, out var endpoint, out _));
        // The dialect of the first session stays; the name is the first one given; last seen never goes back.
        Assert.Equal(new LearnedEndpoint(Pool, 4444, "pool.example.org", "stratum-v1", T0, T0 + (10 * Second), 3), endpoint);
    }

    [Theory]
    [InlineData("pool.example.org", true)]
    [InlineData("POOL.Example.ORG", true)]
    [InlineData("pool.example.org.", true)]
    [InlineData("Pool.Example.Org.", true)]
    [InlineData("example.org", false)]
    [InlineData("eu.pool.example.org", false)]
    [InlineData("pool.example.org..", true)]
    [InlineData("", false)]
    public void Knows_a_learned_name_case_insensitively_with_or_without_the_trailing_dot(string name, bool known)
    {
        var learned = new LearnedPools();
        Assert.False(learned.KnowsName("pool.example.org"));
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0);

        Assert.Equal(known, learned.KnowsName(name));
    }

    [Fact]
    public void Saves_as_a_pool_list_least_recently_seen_first()
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0);
        learned.Learn(IpAddress.Parse("2001:db8::9"), 3333, null, "cryptonote", T0 + 1_500_000);
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0 + (2 * Second));

        Assert.Equal(
            Header +
            "[2001:db8::9]:3333\tADDR\tpooldetector-learned\tpool; learned from a confirmed mining session; dialect=cryptonote; first_seen=2026-11-02T09:00:01.500000Z; last_seen=2026-11-02T09:00:01.500000Z; sessions=1\tstrong\n" +
            "198.51.100.9:4444\tADDR\tpooldetector-learned\tpool; learned from a confirmed mining session; dialect=stratum-v1; name=pool.example.org; first_seen=2026-11-02T09:00:00.000000Z; last_seen=2026-11-02T09:00:02.000000Z; sessions=2\tstrong\n" +
            "pool.example.org\tHOST\tpooldetector-learned\tpool; learned from a confirmed mining session; dialect=stratum-v1; name=pool.example.org; first_seen=2026-11-02T09:00:00.000000Z; last_seen=2026-11-02T09:00:02.000000Z; sessions=2\tweak\n",
            Saved(learned));
    }

    [Fact]
    public void Save_then_load_restores_the_same_endpoints_in_the_same_order()
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0 + 123_456);
        learned.Learn(IpAddress.Parse("2001:db8::9"), 3333, null, "cryptonote", T0 + Second);
        learned.Learn(IpAddress.Parse("203.0.113.200"), 80, "getwork.example.net", "getwork", T0 + (2 * Second));
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0 + (3 * Second) + 7);

        var (restored, read, problems) = Loaded(Saved(learned));

        Assert.Empty(problems);
        Assert.Equal(3, read);
        Assert.Equal(learned.Endpoints, restored.Endpoints);
        Assert.False(restored.Changed);
        Assert.True(restored.KnowsName("getwork.example.net"));
        Assert.True(restored.KnowsName("pool.example.org"));
        Assert.Equal(Saved(learned), Saved(restored));
    }

    [Fact]
    public void Load_names_each_bad_line_by_number_and_keeps_the_good_ones()
    {
        const string desc = "pool; learned from a confirmed mining session; dialect=stratum-v1; first_seen=2026-11-02T09:00:00Z; last_seen=2026-11-02T10:00:00Z; sessions=4";
        var text =
            Header +                                                                  // lines 1-3
            $"198.51.100.9:4444\tADDR\tpooldetector-learned\t{desc}\tstrong\n" +      // 4: good
            $"not-an-address\tADDR\tpooldetector-learned\t{desc}\tstrong\n" +         // 5
            $"198.51.100.10:0\tADDR\tpooldetector-learned\t{desc}\tstrong\n" +        // 6: port 0
            $"198.51.100.11\tADDR\tpooldetector-learned\t{desc}\tstrong\n" +          // 7: no port
            "198.51.100.12:3333\tADDR\tpooldetector-learned\tpool; dialect=stratum-v1; last_seen=2026-11-02T10:00:00Z\tstrong\n" + // 8
            "198.51.100.13:3333\tADDR\tpooldetector-learned\tpool; first_seen=yesterday; last_seen=2026-11-02T10:00:00Z\tstrong\n" + // 9
            "\n" +                                                                    // 10
            $"pool.example.org\tHOST\tpooldetector-learned\t{desc}\tweak\n" +       // 11: names come with endpoints
            $"[2001:db8::9]:3333\tADDR\tpooldetector-learned\t{desc}\tstrong\n" +     // 12: good
            "198.51.100.14:3333\tADDR\n";                                             // 13: cut short

        var (restored, read, problems) = Loaded(text);

        Assert.Equal(
        [
            "5: 'not-an-address' is not an address:port",
            "6: '198.51.100.10:0' is not an address:port",
            "7: '198.51.100.11' is not an address:port",
            "8: first_seen and last_seen are required",
            "9: first_seen and last_seen are required",
            "13: expected 5 tab-separated fields (indicator, indicator_type, meta.source, meta.desc, confidence), found 2",
        ], problems);
        Assert.Equal(2, read);
        Assert.Equal(
        [
            new LearnedEndpoint(Pool, 4444, null, "stratum-v1", T0, T0 + (3600 * Second), 4),
            new LearnedEndpoint(IpAddress.Parse("2001:db8::9"), 3333, null, "stratum-v1", T0, T0 + (3600 * Second), 4),
        ], restored.Endpoints);
    }

    [Fact]
    public void Beyond_its_capacity_the_least_recently_seen_endpoint_is_forgotten_and_counted()
    {
        var learned = new LearnedPools(capacity: 2);
        learned.Learn(IpAddress.Parse("198.51.100.1"), 3333, "a.example.org", "stratum-v1", T0);
        learned.Learn(IpAddress.Parse("198.51.100.2"), 3333, "b.example.org", "stratum-v1", T0 + 1);
        // A match refreshes .1, so .2 goes.
        Assert.True(learned.TryMatch(IpAddress.Parse("198.51.100.1"), 3333, out _, out _));
        learned.Learn(IpAddress.Parse("198.51.100.3"), 3333, "c.example.org", "stratum-v1", T0 + 2);

        Assert.Equal(2, learned.Count);
        Assert.Equal(1, learned.Evicted);
        // Forgotten on every port; the endpoints held still match on theirs and on the address's others.
        Assert.False(learned.TryMatch(IpAddress.Parse("198.51.100.2"), 3333, out _, out _));
        Assert.False(learned.TryMatch(IpAddress.Parse("198.51.100.2"), 5555, out _, out _));
        Assert.True(learned.TryMatch(IpAddress.Parse("198.51.100.1"), 3333, out _, out _));
        Assert.True(learned.TryMatch(IpAddress.Parse("198.51.100.1"), 5555, out var endpoint, out var samePort));
        Assert.False(samePort);
        Assert.Equal(3333, endpoint.Port);
        Assert.True(learned.TryMatch(IpAddress.Parse("198.51.100.3"), 3333, out _, out _));
        Assert.True(learned.TryMatch(IpAddress.Parse("198.51.100.3"), 5555, out _, out _));
        // The name set is bounded by the same capacity: the third name is refused and counted.
        Assert.Equal(1, learned.NamesRefused);
        Assert.False(learned.KnowsName("c.example.org"));
    }

    [Fact]
    public void The_saved_list_loads_as_ordinary_intel_and_matches_as_addr_and_host()
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, "pool.example.org", "stratum-v1", T0);
        learned.Learn(IpAddress.Parse("2001:db8::9"), 3333, null, "cryptonote", T0);

        var result = IntelLoader.Load([("learned-pools.tsv", Saved(learned))], DateTimeOffset.FromUnixTimeMilliseconds(T0 / 1000));

        Assert.Empty(result.Errors);
        var intel = result.Intel;
        Assert.Equal(2, intel.Addresses.Count);
        Assert.Equal(1, intel.Domains.Count);
        Assert.True(intel.Addresses.TryMatch(Pool, 4444, out var match));
        Assert.Equal("198.51.100.9:4444", match.Indicator);
        Assert.Equal(LearnedPools.Source, match.Entry.Source);
        Assert.Equal("pool", match.Entry.Kind);
        Assert.True(match.Entry.IsStrong);
        Assert.False(intel.Addresses.Matches(Pool, 5555));
        Assert.True(intel.Addresses.TryMatch(IpAddress.Parse("2001:db8::9"), 3333, out match));
        Assert.Equal("[2001:db8::9]:3333", match.Indicator);
        Assert.True(intel.Domains.TryMatch("pool.example.org", out match));
        Assert.Equal("pool.example.org", match.Indicator);
        // The name is what a miner said: it names flows, the address flags them.
        Assert.False(match.Entry.IsStrong);
        // HOST: the name only, not names under it.
        Assert.False(intel.Domains.Matches("eu.pool.example.org"));
    }

    /// <summary>
    /// Names come off the wire (a Stratum subscribe's host parameter is whatever the miner
    /// wrote, JSON escapes included): one with a tab, a newline or a ';' must not add lines or
    /// facts to the saved list, which other sensors load as intel.
    /// </summary>
    [Theory]
    [InlineData("evil\n203.0.113.66:80\tADDR\tpooldetector-learned\tpool; first_seen=2026-01-01T00:00:00Z; last_seen=2026-01-01T00:00:00Z\tstrong")]
    [InlineData("pool.example.org; sessions=999999")]
    [InlineData("pool.example.org\tHOST")]
    [InlineData("pool example org")]
    public void A_name_that_is_not_a_host_name_is_not_learned(string name)
    {
        var learned = new LearnedPools();
        learned.Learn(Pool, 4444, name, "stratum-v1", T0);

        Assert.True(learned.TryMatch(Pool, 4444, out var endpoint, out _));
        Assert.Null(endpoint.Name);
        Assert.False(learned.KnowsName(name));
        var text = Saved(learned);
        var result = IntelLoader.Load([("learned-pools.tsv", text)], DateTimeOffset.FromUnixTimeMilliseconds(T0 / 1000));
        Assert.Empty(result.Errors);
        Assert.Equal(1, result.Intel.Addresses.Count);
        Assert.Equal(0, result.Intel.Domains.Count);
        Assert.False(result.Intel.Addresses.Matches(IpAddress.Parse("203.0.113.66"), 80));
        var (restored, read, problems) = Loaded(text);
        Assert.Empty(problems);
        Assert.Equal(1, read);
        Assert.Equal(1, Assert.Single(restored.Endpoints).Sessions);
    }
}
