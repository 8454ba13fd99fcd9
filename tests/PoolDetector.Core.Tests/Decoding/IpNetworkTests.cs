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

    /// <summary>Masking works on the address's two 64-bit words: every length, against clearing bytes one by one.</summary>
    [Theory]
    [InlineData("203.0.113.255")]
    [InlineData("255.255.255.255")]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Mask_clears_exactly_the_bits_beyond_each_length(string text)
    {
        var address = IpAddress.Parse(text);
        Span<byte> bytes = stackalloc byte[16];
        var count = address.WriteBytes(bytes);
        Span<byte> expected = stackalloc byte[16];
        for (var length = 0; length <= count * 8; length++)
        {
            bytes.CopyTo(expected);
            for (var i = 0; i < count; i++)
            {
                expected[i] &= (byte)(0xFF00 >> Math.Clamp(length - (i * 8), 0, 8));
            }
            var want = count == 4 ? IpAddress.FromV4(expected) : IpAddress.FromV6(expected);
            Assert.Equal(want, IpNetwork.Mask(address, length));
        }
    }
}

public class HomeNetworksTests
{
    /// <summary>A few ranges are scanned, many are looked up by prefix: both answer alike.</summary>
    [Theory]
    [InlineData(5)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(300)]
    public void Contains_answers_alike_for_few_and_many_ranges(int count)
    {
        // Public /24s of a campus, then the defaults' private ranges, IPv6 among them.
        var ranges = Enumerable.Range(0, count - 5).Select(i => $"198.{18 + (i / 250)}.{i % 250}.0/24").Concat(Core.Detection.HomeNetworks.Defaults).ToList();
        var home = Core.Detection.HomeNetworks.Parse(ranges, "test", []);
        Assert.Equal(count, home.Networks.Count);
        foreach (var text in new[] { "198.18.0.7", "198.18.3.250", "198.19.40.1", "198.20.0.1", "10.9.8.7", "172.31.255.255", "172.32.0.1", "100.127.0.1", "fd99::157", "fe80::1", "::ffff:10.1.2.3", "203.0.113.9" })
        {
            var address = IpAddress.Parse(text);
            Assert.Equal(home.Networks.Any(n => n.Contains(address)), home.Contains(address));
        }
    }
}
