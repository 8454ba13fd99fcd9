using PoolDetector.Core.Decoding;
using PoolDetector.Core.Events;

namespace PoolDetector.Core.Tests.Events;

public class CommunityIdTests
{
    // Vectors from corelight/community-id-spec baseline/baseline_deflt.json (seed 0) and
    // baseline_seed1.json (seed 1): every port-carrying flow (TCP 6, UDP 17, SCTP 132), both directions.
    [Theory]
    [InlineData(6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    [InlineData(6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    [InlineData(6, "128.232.110.120", "66.35.250.204", 34855, 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData(6, "66.35.250.204", "128.232.110.120", 80, 34855, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData(17, "192.168.1.52", "8.8.8.8", 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData(17, "8.8.8.8", "192.168.1.52", 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData(132, "192.168.170.8", "192.168.170.56", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")]
    [InlineData(132, "192.168.170.56", "192.168.170.8", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")]
    [InlineData(6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=")]
    [InlineData(6, "128.232.110.120", "66.35.250.204", 34855, 80, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=")]
    [InlineData(17, "8.8.8.8", "192.168.1.52", 53, 54585, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=")]
    [InlineData(132, "192.168.170.56", "192.168.170.8", 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=")]
    public void Matches_spec_baseline(byte proto, string source, string destination, int sourcePort, int destinationPort, int seed, string expected)
    {
        var id = CommunityId.Compute(IpAddress.Parse(source), (ushort)sourcePort, IpAddress.Parse(destination), (ushort)destinationPort, proto, (ushort)seed);

        Assert.Equal(expected, id);
    }

    [Fact]
    public void Orders_by_port_when_addresses_are_equal()
    {
        var host = IpAddress.Parse("10.0.0.1");

        Assert.Equal(
            CommunityId.Compute(host, 1000, host, 2000, 6),
            CommunityId.Compute(host, 2000, host, 1000, 6));
    }

    [Fact]
    public void Rejects_mixed_address_families()
    {
        Assert.Throws<ArgumentException>(() =>
            CommunityId.Compute(IpAddress.Parse("10.0.0.1"), 1, IpAddress.Parse("::1"), 2, 6));
    }
}
