using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Tests.Detection.Memory;

public class HostPoolHistoryTests
{
    private const long T0 = 1_790_000_000_000_000;
    private const long Day = 86_400_000_000;
    private static readonly IpAddress Host = IpAddress.Parse("10.0.0.5");
    private static readonly IpAddress Pool = IpAddress.Parse("203.0.113.7");

    private static HostPoolVerdict Mining(long at, long flow = 1) =>
        new(DetectionCategory.Mining, "stratum-v1", Confidence.High, "pool.supportxmr.com", "wallet.rig1", flow, at);

    private static HostPoolVerdict Contact(long at, Confidence confidence = Confidence.Medium, long flow = 2) =>
        new(DetectionCategory.PoolContact, "pool-tls-sni", confidence, "pool.supportxmr.com", null, flow, at);

    [Fact]
    public void Keyed_by_host_address_and_port()
    {
        var history = new HostPoolHistory();
        history.Remember(Host, Pool, 3333, Mining(T0));

        Assert.True(history.TryGet(Host, Pool, 3333, T0, out var verdict));
        Assert.Equal(Mining(T0), verdict);
        Assert.False(history.TryGet(Host, Pool, 3334, T0, out _));
        Assert.False(history.TryGet(IpAddress.Parse("10.0.0.6"), Pool, 3333, T0, out _));
        Assert.False(history.TryGet(Host, IpAddress.Parse("203.0.113.8"), 3333, T0, out _));
        Assert.Equal(1, history.Count);
    }

    [Fact]
    public void A_weaker_later_verdict_keeps_the_mining_one_but_refreshes_its_time()
    {
        var history = new HostPoolHistory();
        history.Remember(Host, Pool, 3333, Mining(T0, flow: 1));
        history.Remember(Host, Pool, 3333, Contact(T0 + Day, flow: 2));

        Assert.True(history.TryGet(Host, Pool, 3333, T0 + Day, out var verdict));
        Assert.Equal(Mining(T0 + Day, flow: 1), verdict);
        // Refreshed: still held seven days after the contact, not after the mining session.
        Assert.True(history.TryGet(Host, Pool, 3333, T0 + Day + HostPoolHistory.HoldMicros, out _));
    }

    [Fact]
    public void A_stronger_or_equal_later_verdict_replaces_the_earlier_one()
    {
        var history = new HostPoolHistory();
        history.Remember(Host, Pool, 3333, Contact(T0, Confidence.Low, flow: 2));
        history.Remember(Host, Pool, 3333, Contact(T0 + 1, Confidence.Medium, flow: 3));
        Assert.True(history.TryGet(Host, Pool, 3333, T0 + 1, out var verdict));
        Assert.Equal(Contact(T0 + 1, Confidence.Medium, flow: 3), verdict);

        history.Remember(Host, Pool, 3333, Mining(T0 + 2, flow: 4));
        Assert.True(history.TryGet(Host, Pool, 3333, T0 + 2, out verdict));
        Assert.Equal(Mining(T0 + 2, flow: 4), verdict);

        history.Remember(Host, Pool, 3333, Mining(T0 + 3, flow: 5));
        Assert.True(history.TryGet(Host, Pool, 3333, T0 + 3, out verdict));
        Assert.Equal(5, verdict.FlowId);
    }

    [Fact]
    public void A_verdict_is_held_for_seven_days_of_packet_time()
    {
        var history = new HostPoolHistory();
        history.Remember(Host, Pool, 3333, Mining(T0));

        Assert.Equal(7 * Day, HostPoolHistory.HoldMicros);
        Assert.True(history.TryGet(Host, Pool, 3333, T0 + (7 * Day), out _));
        Assert.False(history.TryGet(Host, Pool, 3333, T0 + (7 * Day) + 1, out var verdict));
        Assert.Equal(default, verdict);
    }

    [Fact]
    public void After_the_hold_a_weaker_verdict_replaces_the_stale_mining_one()
    {
        var history = new HostPoolHistory();
        history.Remember(Host, Pool, 3333, Mining(T0));
        history.Remember(Host, Pool, 3333, Contact(T0 + (8 * Day)));

        Assert.True(history.TryGet(Host, Pool, 3333, T0 + (8 * Day), out var verdict));
        Assert.Equal(Contact(T0 + (8 * Day)), verdict);
    }

    [Fact]
    public void Beyond_its_capacity_the_least_recently_used_verdict_is_forgotten_and_counted()
    {
        var history = new HostPoolHistory(capacity: 2);
        history.Remember(Host, Pool, 1, Mining(T0));
        history.Remember(Host, Pool, 2, Mining(T0));
        history.Remember(Host, Pool, 3, Mining(T0));

        Assert.Equal(2, history.Count);
        Assert.Equal(1, history.Evicted);
        Assert.False(history.TryGet(Host, Pool, 1, T0, out _));
        Assert.True(history.TryGet(Host, Pool, 3, T0, out _));
    }
}
