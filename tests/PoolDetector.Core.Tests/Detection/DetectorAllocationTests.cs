using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Testing;
using static PoolDetector.Core.Tests.Detection.DnsMessages;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>
/// DNS is inspected on every UDP datagram to or from port 53, almost all of them about names
/// that are no pool's: those must cost no allocation once flows are established
/// (DESIGN.md, "Habits"), nor when flows come and go through the flow pool.
/// </summary>
public class DetectorAllocationTests
{
    private static readonly string[] Names =
    [
        "www.example.org", "mail.example.net", "cdn-7.static.example.com", "api.service.example", "ntp.example.org",
        "xn--bcher-kva.example", "a.b.c.d.e.f.example.com", "supportxmr.com.example.org",
    ];

    /// <summary>Query and answer frames for each name, built before anything is measured.</summary>
    private static (byte[] Query, byte[] Answer)[] Exchanges(ushort clientPort) =>
    [
        .. Names.Select((name, i) => (
            ContactHarness.UdpFrame("10.0.0.5", clientPort, "10.0.0.53", 53, Query(name, id: (ushort)i)),
            ContactHarness.UdpFrame("10.0.0.53", 53, "10.0.0.5", clientPort, Response(name, Cname(name, "edge.cdn.example"), A("edge.cdn.example", "198.51.100." + (i + 1)))))),
    ];

    [Fact]
    public void Non_pool_dns_on_established_flows_allocates_nothing_per_packet()
    {
        var frames = Enumerable.Range(0, 32).Select(p => Exchanges((ushort)(50000 + p))).ToArray();
        var engine = new Engine(ContactRules.Default, new EngineOptions(), new ContactHarness());
        var now = ContactHarness.Start;
        void Round()
        {
            foreach (var flow in frames)
            {
                foreach (var (query, answer) in flow)
                {
                    engine.ProcessFrame(LinkType.Ethernet, query, now += 100);
                    engine.ProcessFrame(LinkType.Ethernet, answer, now += 100);
                }
            }
        }
        for (var i = 0; i < 20; i++)
        {
            Round();
        }
        const int batches = 4, roundsPerBatch = 10;
        var messages = engine.InspectionCounters.DnsMessages;
        var allocated = Allocations.LeastOver(batches, () =>
        {
            for (var i = 0; i < roundsPerBatch; i++)
            {
                Round();
            }
        });

        Assert.Equal(batches * roundsPerBatch * 32 * Names.Length * 2, engine.InspectionCounters.DnsMessages - messages);
        Assert.Equal(0, engine.InspectionCounters.DnsMalformed);
        Assert.Equal(0, allocated);
        engine.Finish();
        Assert.Equal(0, engine.Detections);
    }

    [Fact]
    public void Non_pool_dns_allocates_nothing_as_flows_churn_through_the_pool()
    {
        // A new client port for every look-up, as resolvers' clients do; flows idle out after a second.
        const int ports = 4000;
        var frames = Enumerable.Range(0, ports).Select(p => Exchanges((ushort)(20000 + p))[p % Names.Length]).ToArray();
        var options = new EngineOptions { Flows = new FlowTableOptions { UdpIdleTimeout = TimeSpan.FromSeconds(1) } };
        var engine = new Engine(ContactRules.Default, options, new ContactHarness());
        var now = ContactHarness.Start;
        void Round()
        {
            foreach (var (query, answer) in frames)
            {
                engine.ProcessFrame(LinkType.Ethernet, query, now += 1000);
                engine.ProcessFrame(LinkType.Ethernet, answer, now += 1000);
            }
        }
        // One pool name answered first: every flow start then looks its addresses up in the DNS answers.
        engine.ProcessFrame(LinkType.Ethernet, ContactHarness.UdpFrame("10.0.0.53", 53, "10.0.0.9", 53999, Response("pool.supportxmr.com", A("pool.supportxmr.com", "203.0.113.7", ttl: 86_400))), now);
        Round();
        Round();
        Assert.Equal(1, engine.DnsAnswers.Count);
        const int rounds = 3;
        var created = engine.FlowCounters.FlowsCreated;
        var messages = engine.InspectionCounters.DnsMessages;
        var allocated = Allocations.LeastOver(rounds, Round);

        Assert.Equal(rounds * ports, engine.FlowCounters.FlowsCreated - created);
        Assert.Equal(rounds * 2 * ports, engine.InspectionCounters.DnsMessages - messages);
        Assert.True(engine.ActiveFlows <= 501, $"{engine.ActiveFlows} flows active");
        Assert.Equal(0, allocated);
        Assert.Equal(1, engine.Detections);
    }
}
