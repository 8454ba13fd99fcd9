using PoolDetector.Core.Detection.Memory;

namespace PoolDetector.Core.Tests.Detection.Memory;

public class BoundedLruTests
{
    private static string[] Keys(BoundedLru<string, int> lru) => [.. lru.Entries.Select(e => e.Key)];

    [Fact]
    public void Holds_at_most_its_capacity_and_forgets_the_least_recently_used()
    {
        var lru = new BoundedLru<string, int>(3);
        lru.Set("a", 1);
        lru.Set("b", 2);
        lru.Set("c", 3);
        Assert.Equal(0, lru.Evicted);

        lru.Set("d", 4);

        Assert.Equal(3, lru.Count);
        Assert.Equal(1, lru.Evicted);
        Assert.False(lru.TryGetValue("a", out _));
        Assert.Equal(["b", "c", "d"], Keys(lru));
    }

    [Fact]
    public void A_read_makes_an_entry_the_most_recently_used()
    {
        var lru = new BoundedLru<string, int>(3);
        lru.Set("a", 1);
        lru.Set("b", 2);
        lru.Set("c", 3);

        Assert.True(lru.TryGetValue("a", out var value));
        Assert.Equal(1, value);
        lru.Set("d", 4);

        Assert.Equal(["c", "a", "d"], Keys(lru));
        Assert.False(lru.TryGetValue("b", out _));
        Assert.Equal(1, lru.Evicted);
    }

    [Fact]
    public void Setting_a_known_key_replaces_its_value_refreshes_it_and_evicts_nothing()
    {
        var lru = new BoundedLru<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);

        lru.Set("a", 10);

        Assert.Equal(2, lru.Count);
        Assert.Equal(0, lru.Evicted);
        Assert.Equal(["b", "a"], Keys(lru));
        Assert.True(lru.TryGetValue("a", out var value));
        Assert.Equal(10, value);

        lru.Set("c", 3);
        Assert.Equal(["a", "c"], Keys(lru));
        Assert.Equal(1, lru.Evicted);
    }

    [Fact]
    public void Remove_frees_room_without_counting_an_eviction()
    {
        var lru = new BoundedLru<string, int>(2);
        lru.Set("a", 1);
        lru.Set("b", 2);

        Assert.True(lru.Remove("a"));
        Assert.False(lru.Remove("a"));
        Assert.False(lru.Remove("never"));
        Assert.Equal(1, lru.Count);

        lru.Set("c", 3);

        Assert.Equal(0, lru.Evicted);
        Assert.Equal(["b", "c"], Keys(lru));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Capacity_below_one_is_refused(int capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BoundedLru<string, int>(capacity));
    }

    [Fact]
    public void A_capacity_of_one_keeps_only_the_last_entry()
    {
        var lru = new BoundedLru<int, int>(1);
        for (var i = 0; i < 100; i++)
        {
            lru.Set(i, i * 2);
        }

        Assert.Equal(1, lru.Count);
        Assert.Equal(99, lru.Evicted);
        Assert.Equal([(99, 198)], lru.Entries);
    }
}
