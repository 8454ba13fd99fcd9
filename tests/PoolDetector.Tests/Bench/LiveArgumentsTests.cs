using PoolDetector.Bench.Running;

namespace PoolDetector.Tests.Bench;

/// <summary>
/// <c>pooldetector-bench run --mode live</c>'s arguments, checked before it creates anything:
/// root or a clear refusal, the rates it hands tcpreplay, the daemon settings. (The live
/// benchmark itself measures; nothing here times anything.)
/// </summary>
public sealed class LiveArgumentsTests
{
    [Fact]
    public void Without_root_it_refuses_and_says_why()
    {
        var problem = LiveArguments.Problem(isRoot: false, ReplayRate.DefaultLadder, 3, [], out _, out _);
        Assert.NotNull(problem);
        Assert.Contains("needs root", problem, StringComparison.Ordinal);
        Assert.Contains("network namespace", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Rates_become_tcpreplay_options_in_the_order_given()
    {
        Assert.Null(LiveArguments.Problem(isRoot: true, "1x, 50k,120000,2.5x,top", 0, [], out var rates, out _));
        Assert.Equal(["--multiplier=1", "--pps=50000", "--pps=120000", "--multiplier=2.5", "--topspeed"], rates.Select(rate => rate.TcpreplayArgument));
        Assert.Equal(["1x recorded", "50k pps", "120k pps", "2.5x recorded", "topspeed"], rates.Select(rate => rate.Label));
        Assert.True(rates[^1].TopSpeed);
        Assert.Equal("137500 pps", ReplayRate.Pps(137_500).Label);
    }

    [Theory]
    [InlineData("fast", "--rates: 'fast'")]
    [InlineData("50k,0", "--rates: '0'")]
    [InlineData("-1x", "--rates: '-1x'")]
    [InlineData("50k,50000", "given twice")]
    [InlineData(" , ", "no rate given")]
    public void Rates_it_cannot_send_at_are_refused(string rates, string expected)
    {
        var problem = LiveArguments.Problem(isRoot: true, rates, 3, [], out _, out _);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_are_key_value_pairs_for_the_daemon()
    {
        Assert.Null(LiveArguments.Problem(isRoot: true, "top", 0, ["KernelBufferMiB=128", "BpfFilter=tcp or udp"], out _, out var settings));
        Assert.Equal("128", settings["KernelBufferMiB"]);
        Assert.Equal("tcp or udp", settings["BpfFilter"]);

        var problem = LiveArguments.Problem(isRoot: true, "top", 0, ["KernelBufferMiB"], out _, out _);
        Assert.Contains("expected KEY=VALUE", problem, StringComparison.Ordinal);
        Assert.Contains("--bisect -1", LiveArguments.Problem(isRoot: true, "top", -1, [], out _, out _), StringComparison.Ordinal);
    }
}
