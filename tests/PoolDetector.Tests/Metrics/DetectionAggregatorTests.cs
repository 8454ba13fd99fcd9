using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Outputs;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Metrics;

/// <summary>The headline number: hosts mining now, in clear text or hidden behind TLS.</summary>
public class DetectionAggregatorTests
{
    private const long Minute = 60_000_000;

    [Theory]
    [InlineData(DetectionCategory.Mining, Confidence.Medium, 1)]
    [InlineData(DetectionCategory.PoolContact, Confidence.Medium, 1)]
    [InlineData(DetectionCategory.PoolContact, Confidence.Low, 0)]
    [InlineData(DetectionCategory.CryptoNode, Confidence.High, 0)]
    public void Mining_hosts_count_mining_and_medium_pool_contact(DetectionCategory category, Confidence confidence, int expected)
    {
        var aggregator = new DetectionAggregator(maxEntries: 16, maxOpenFlows: 16);
        var detection = SampleDetections.DesignExample with { Category = category, Confidence = confidence };
        aggregator.OnFirstReport(detection);
        aggregator.OnFlowEnd(detection);

        Assert.Equal(expected, aggregator.CountMiningHosts(detection.LastSeenMicros + Minute, windowMicros: 10 * Minute));
        // Out of the window, nobody.
        Assert.Equal(0, aggregator.CountMiningHosts(detection.LastSeenMicros + (11 * Minute), windowMicros: 10 * Minute));
    }

    [Fact]
    public void A_host_counts_once_whatever_it_did()
    {
        var aggregator = new DetectionAggregator(maxEntries: 16, maxOpenFlows: 16);
        var mining = SampleDetections.DesignExample;
        var contact = mining with { FlowId = 1235, Category = DetectionCategory.PoolContact, Dialect = "pool-tls-sni", PoolAddress = IpAddress.Parse("203.0.113.9"), PoolPort = 443 };
        foreach (var detection in new[] { mining, contact })
        {
            aggregator.OnFirstReport(detection);
            aggregator.OnFlowEnd(detection);
        }

        Assert.Equal(1, aggregator.CountMiningHosts(mining.LastSeenMicros, windowMicros: Minute));
        Assert.Equal(2, aggregator.Count);
    }
}
