using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Tests.Decoding;

public class IpNetworkTests
{
    private static IpNetwork Network(string text)
    {
        Assert.Null(IpNetwork.TryParse(text, out var network));
        return network;
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.1.2.3", "10.1.2.3", true)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("fc00::/7", "fd99::157", true)]
    [InlineData("fc00::/7", "fe80::1", false)]
    [InlineData("2001:db8:10::/48", "2001:db8:10:ffff::1", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    public void Contains(string network, string address, bool expected) =>
        Assert.Equal(expected, Network(network).Contains(IpAddress.Parse(address)));

    [Theory]
    [InlineData("10.1.2.3/16", "host bits")]
    [InlineData("10.0.0.0/33", "0..32")]
    [InlineData("2001:db8::/129", "0..128")]
    [InlineData("10.1/16", "dotted-quad")]
    [InlineData("010.1.2.0/24", "dotted-quad")]
    [InlineData("campus", "not an address")]
    [InlineData("10.0.0.0/", "0..32")]
    [InlineData("fe80::1%eth0", "not an address")]
    public void Bad_ranges_say_why(string text, string problem) =>
        Assert.Contains(problem, IpNetwork.TryParse(text, out _), StringComparison.Ordinal);

    [Fact]
    public void The_most_specific_range_wins()
    {
        var table = new PrefixTable<string>();
        Assert.True(table.TryAdd(Network("10.0.0.0/8"), "campus"));
        Assert.True(table.TryAdd(Network("10.1.0.0/16"), "physics"));
        Assert.True(table.TryAdd(Network("10.1.2.0/24"), "lab"));
        Assert.False(table.TryAdd(Network("10.1.0.0/16"), "again"));
        string Find(string address) => table.TryMatch(IpAddress.Parse(address), out _, out var value) ? value : "-";
        Assert.Equal(("lab", "physics", "campus", "-"), (Find("10.1.2.3"), Find("10.1.3.3"), Find("10.2.0.1"), Find("192.0.2.1")));
    }
}
