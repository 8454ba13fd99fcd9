using System.Text.Json;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Events;

public class EveJsonTests
{
    private static MiningDetection Example() => SampleDetections.DesignExample;

    [Fact]
    public void Writes_the_contract_shape_exactly()
    {
        // Community id computed independently with the spec's reference algorithm (community-id.py).
        // One line on the wire; split here only for reading.
        var expected = string.Concat("""
            {"timestamp":"2021-09-14T08:00:01.123456+0000","flow_id":1234,"community_id":"1:55FTK/vZaONUYtuSVl+J8k/vx5Y=","event_type":"alert",
            "src_ip":"10.1.2.3","src_port":51234,"dest_ip":"94.23.199.191","dest_port":3333,"proto":"TCP","vlan":[10],"app_proto":"stratum",
            "alert":{"action":"allowed","gid":1,"signature_id":9000101,"rev":1,"signature":"POOLDETECTOR Stratum V1 mining session",
            "category":"Crypto Currency Mining Activity Detected","severity":1},
            "mining":{"category":"mining","dialect":"stratum-v1","confidence":"high","evidence":["mining.subscribe","mining.notify"],
            "agent":"cgminer/4.10.0","worker":"wallet.rig1","algo":null,"pool_host":"eu.pool.example","shares_submitted":3,"shares_accepted":3,
            "flow":{"first_seen":"2021-09-14T07:59:58.000005+0000","last_seen":"2021-09-14T08:05:00.000000+0000",
            "pkts_toserver":12,"pkts_toclient":15,"bytes_toserver":1800,"bytes_toclient":5400}}}
            """.Split('\n'));

        Assert.Equal(expected, EveJson.ToJson(Example()));
    }

    [Fact]
    public void Omits_vlan_when_untagged_and_adds_pcap_filename_last()
    {
        var json = EveJson.ToJson(Example() with { Vlans = [] }, "captures/a.pcap");

        Assert.DoesNotContain("\"vlan\"", json, StringComparison.Ordinal);
        Assert.Contains("\"proto\":\"TCP\",\"app_proto\":\"stratum\"", json, StringComparison.Ordinal);
        Assert.EndsWith(",\"pcap_filename\":\"captures/a.pcap\"}", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Writes_qinq_tags_outermost_first_and_udp()
    {
        var json = EveJson.ToJson(Example() with { Vlans = [100, 20], Transport = TransportProtocol.Udp });

        Assert.Contains("\"proto\":\"UDP\",\"vlan\":[100,20],", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DetectionCategory.PoolContact, Confidence.Medium, "\"category\":\"pool-contact\",\"dialect\":\"stratum-v1\",\"confidence\":\"medium\"")]
    [InlineData(DetectionCategory.CryptoNode, Confidence.Low, "\"category\":\"crypto-node\",\"dialect\":\"stratum-v1\",\"confidence\":\"low\"")]
    public void Uses_wire_names_for_category_and_confidence(DetectionCategory category, Confidence confidence, string expected)
    {
        var json = EveJson.ToJson(Example() with { Category = category, Confidence = confidence });

        Assert.Contains(expected, json, StringComparison.Ordinal);
    }

    [Fact]
    public void Escapes_hostile_traffic_strings_to_one_ascii_line()
    {
        // A worker name straight off the wire: newline (log injection), escape (terminal
        // control), quote, a lone surrogate and non-ASCII.
        var hostile = "rig\n{\"x\":1}\u001b[31m\ud800é";
        var json = EveJson.ToJson(Example() with { Worker = hostile, Agent = "<script>" });

        Assert.DoesNotContain('\n', json);
        Assert.All(json, c => Assert.InRange(c, ' ', '~'));
        using var parsed = JsonDocument.Parse(json);
        var mining = parsed.RootElement.GetProperty("mining");
        Assert.Equal("rig\n{\"x\":1}\u001b[31m\ufffdé", mining.GetProperty("worker").GetString());
        Assert.Equal("<script>", mining.GetProperty("agent").GetString());
    }

    [Fact]
    public void Writes_ipv6_endpoints_in_canonical_text()
    {
        var json = EveJson.ToJson(Example() with
        {
            MinerAddress = IpAddress.Parse("2001:db8:0:0::1"),
            PoolAddress = IpAddress.Parse("2001:db8::ff00:42:8329"),
        });

        using var parsed = JsonDocument.Parse(json);
        Assert.Equal("2001:db8::1", parsed.RootElement.GetProperty("src_ip").GetString());
        Assert.Equal("2001:db8::ff00:42:8329", parsed.RootElement.GetProperty("dest_ip").GetString());
    }

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000000+0000")]
    [InlineData(1631606401123456L, "2021-09-14T08:00:01.123456+0000")]
    [InlineData(-5L, "1970-01-01T00:00:00.000000+0000")]
    public void Formats_timestamps_in_utc_with_microseconds(long micros, string expected)
    {
        Assert.Equal(expected, EveJson.FormatTimestamp(micros));
    }
}
