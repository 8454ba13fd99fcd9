using System.Buffers.Binary;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Tests.Detection;
using PoolDetector.Core.Tests.Decoding;
using Xunit.Abstractions;

namespace PoolDetector.Core.Tests.Flows;

/// <summary>
/// What a million concurrent flows cost: the README's "Memory" bound (bytes per open flow, the
/// engine's flow table and per-flow inspection state together) is checked here, so a field
/// added to a per-flow object shows up as a failing test rather than as a sensor that runs out
/// of memory on a busy uplink.
/// </summary>
public sealed class FlowMemoryTests(ITestOutputHelper output)
{
    /// <summary>
    /// The documented bound (README, "Performance"): managed heap per open TCP flow whose request
    /// was read whole. Measured 2,452 bytes (the flow, its two streams, and the pooled inspection
    /// state of every protocol, allocated up front so that nothing is allocated per packet);
    /// payload held back for reassembly or a partial header comes on top, bounded per direction.
    /// </summary>
    private const long MaxBytesPerFlow = 3000;

    private const int Flows = 1_000_000;

    [Fact]
    public void A_million_open_tcp_flows_fit_the_documented_bytes_per_flow()
    {
        var engine = new Engine(ContactRules.Default, new EngineOptions { Flows = { MaxFlows = Flows } }, new Sink());
        // Each flow: a client's SYN and its first data segment (a whole HTTP request, so the
        // inspectors have looked at it and hold their state), then it stays open. Sources are
        // 10.x.y.z, one port each: a million distinct clients of one server.
        var syn = FrameBuilder.Tcp(40000, 80, [], sequence: 1000, acknowledgment: 0, flags: 0x02).Ipv4("10.0.0.1", "198.51.100.80").Ethernet().Build();
        var data = FrameBuilder.Tcp(40000, 80, "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"u8, sequence: 1001, acknowledgment: 1).Ipv4("10.0.0.1", "198.51.100.80").Ethernet().Build();
        // Ethernet (14) + IPv4 source address at offset 12 of the IP header.
        const int sourceAddress = 14 + 12;
        var before = ManagedHeapBytes();
        var now = 1_700_000_000_000_000L;
        for (var i = 0; i < Flows; i++)
        {
            var client = 0x0A000000u + (uint)i + 1;
            BinaryPrimitives.WriteUInt32BigEndian(syn.AsSpan(sourceAddress), client);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(sourceAddress), client);
            engine.ProcessFrame(LinkType.Ethernet, syn, now);
            engine.ProcessFrame(LinkType.Ethernet, data, now + 1);
            now += 2;
        }
        var after = ManagedHeapBytes();

        Assert.Equal(Flows, engine.ActiveFlows);
        var perFlow = (after - before) / Flows;
        output.WriteLine($"{Flows:N0} open TCP flows: {after - before:N0} bytes of managed heap, {perFlow:N0} per flow");
        Assert.True(perFlow <= MaxBytesPerFlow, $"{perFlow} bytes per flow, over the documented {MaxBytesPerFlow}");
        GC.KeepAlive(engine);
    }

    private static long ManagedHeapBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed class Sink : IDetectionSink
    {
        public void OnDetection(MiningDetection detection) { }
    }
}
