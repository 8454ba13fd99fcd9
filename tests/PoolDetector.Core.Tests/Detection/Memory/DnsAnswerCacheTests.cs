using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection.Memory;

namespace PoolDetector.Core.Tests.Detection.Memory;

public class DnsAnswerCacheTests
{
    private const long T0 = 1_790_000_000_000_000;
    private const long Second = 1_000_000;
    private static readonly IpAddress Client = IpAddress.Parse("10.0.0.5");
    private static readonly IpAddress OtherClient = IpAddress.Parse("10.0.0.6");
    private static readonly IpAddress Pool = IpAddress.Parse("203.0.113.7");

    /// <summary>How long a binding is held for a TTL: at least 60 s, at most 24 h, of packet time.</summary>
    [Theory]
    [InlineData(0u, 60L)]
    [InlineData(5u, 60L)]
    [InlineData(59u, 60L)]
    [InlineData(60u, 60L)]
    [InlineData(61u, 61L)]
    [InlineData(300u, 300L)]
    [InlineData(86_400u, 86_400L)]
    [InlineData(86_401u, 86_400L)]
    [InlineData(604_800u, 86_400L)]
    [InlineData(uint.MaxValue, 86_400L)]
    public void Holds_a_binding_for_the_ttl_between_the_floor_and_the_ceiling(uint ttl, long heldSeconds)
    {
        var cache = new DnsAnswerCache();
        cache.Remember(Client, Pool, "pool.supportxmr.com", ttl, T0);

        Assert.True(cache.TryGet(Client, Pool, T0 + (heldSeconds * Second), out var binding));
        Assert.Equal(new DnsBinding("pool.supportxmr.com", T0, T0 + (heldSeconds * Second)), binding);
        Assert.False(cache.TryGet(Client, Pool, T0 + (heldSeconds * Second) + 1, out binding));
        Assert.Equal(default, binding);
    }

    [Fact]
    public void An_expired_binding_is_removed_when_looked_up()
    {
        var cache = new DnsAnswerCache();
        cache.Remember(Client, Pool, "pool.supportxmr.com", 30, T0);
        Assert.Equal(1, cache.Count);

        Assert.False(cache.TryGet(Client, Pool, T0 + (61 * Second), out _));

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Evicted);
        // Gone for good: an earlier time does not bring it back.
        Assert.False(cache.TryGet(Client, Pool, T0 + Second, out _));
    }

    [Fact]
    public void A_binding_belongs_to_the_client_that_asked()
    {
        var cache = new DnsAnswerCache();
        cache.Remember(Client, Pool, "pool.supportxmr.com", 300, T0);

        Assert.False(cache.TryGet(OtherClient, Pool, T0 + Second, out _));
        Assert.False(cache.TryGet(Client, IpAddress.Parse("203.0.113.8"), T0 + Second, out _));
        Assert.True(cache.TryGet(Client, Pool, T0 + Second, out var binding));
        Assert.Equal("pool.supportxmr.com", binding.Name);
    }

    [Fact]
    public void A_new_answer_replaces_the_old_binding_and_its_expiry()
    {
        var cache = new DnsAnswerCache();
        cache.Remember(Client, Pool, "pool.supportxmr.com", 60, T0);
        cache.Remember(Client, Pool, "xmr.supportxmr.com", 120, T0 + (50 * Second));

        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(Client, Pool, T0 + (170 * Second), out var binding));
        Assert.Equal(new DnsBinding("xmr.supportxmr.com", T0 + (50 * Second), T0 + (170 * Second)), binding);
    }

    [Fact]
    public void Beyond_its_capacity_the_least_recently_used_binding_is_forgotten_and_counted()
    {
        var cache = new DnsAnswerCache(capacity: 2);
        cache.Remember(Client, IpAddress.Parse("203.0.113.1"), "a.supportxmr.com", 300, T0);
        cache.Remember(Client, IpAddress.Parse("203.0.113.2"), "b.supportxmr.com", 300, T0);
        // A look-up refreshes .1, so .2 is the one forgotten.
        Assert.True(cache.TryGet(Client, IpAddress.Parse("203.0.113.1"), T0, out _));
        cache.Remember(Client, IpAddress.Parse("203.0.113.3"), "c.supportxmr.com", 300, T0);

        Assert.Equal(2, cache.Count);
        Assert.Equal(1, cache.Evicted);
        Assert.True(cache.TryGet(Client, IpAddress.Parse("203.0.113.1"), T0, out _));
        Assert.False(cache.TryGet(Client, IpAddress.Parse("203.0.113.2"), T0, out _));
        Assert.True(cache.TryGet(Client, IpAddress.Parse("203.0.113.3"), T0, out _));
    }

    [Fact]
    public void Ipv6_answers_bind_like_ipv4_ones()
    {
        var cache = new DnsAnswerCache();
        var client = IpAddress.Parse("2001:db8:10::5");
        var pool = IpAddress.Parse("2001:db8:ff::7");
        cache.Remember(client, pool, "pool.supportxmr.com", 0, T0);

        Assert.True(cache.TryGet(client, pool, T0 + (60 * Second), out _));
        Assert.False(cache.TryGet(IpAddress.Parse("2001:db8:10::6"), pool, T0, out _));
    }
}
