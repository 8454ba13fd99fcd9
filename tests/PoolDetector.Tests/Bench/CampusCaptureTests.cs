using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using PacketDotNet;
using PoolDetector.Bench.Generation;
using PoolDetector.Cli;
using PoolDetector.Testing;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Tests.Cli;

namespace PoolDetector.Tests.Bench;

/// <summary>
/// The benchmark's generator (bench/PoolDetector.Bench): the same seed gives the same bytes, every
/// frame is well formed, and <c>analyze</c> reports exactly the mining flows the generator says it
/// made, so the benchmark's "mining flows found" compares against a truth that holds.
/// </summary>
public sealed class CampusCaptureTests : IDisposable
{
    private const int Packets = 20_000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        var first = Generate(seed: 7, out var firstSummary);
        var again = Generate(seed: 7, out var againSummary);
        var other = Generate(seed: 8, out _);

        Assert.Equal(SHA256.HashData(first), SHA256.HashData(again));
        Assert.Equal(firstSummary.MiningFlows, againSummary.MiningFlows);
        Assert.NotEqual(SHA256.HashData(first), SHA256.HashData(other));
    }

    [Fact]
    public void Every_frame_is_ethernet_ip_tcp_or_udp_with_valid_checksums_in_time_order()
    {
        var pcap = Generate(seed: 1, out var summary);

        var frames = GeneratedCapturesTests.ReadPcap(pcap, out var linkType);
        Assert.Equal(LinkLayers.Ethernet, linkType);
        Assert.Equal(Packets, frames.Count);
        Assert.Equal(Packets, summary.Packets);
        var (ipv6, vlan) = (0, 0);
        for (var i = 0; i < frames.Count; i++)
        {
            var packet = Packet.ParsePacket(linkType, frames[i]);
            var valid = packet.Extract<TransportPacket>() switch
            {
                TcpPacket tcp => tcp.ValidChecksum,
                UdpPacket udp => udp.ValidChecksum,
                var other => throw new InvalidDataException($"frame {i + 1}: {other?.GetType().Name ?? "nothing"} where TCP or UDP belongs"),
            };
            Assert.True(valid, $"frame {i + 1}: bad TCP or UDP checksum");
            if (packet.Extract<IPv4Packet>() is { } ipv4)
            {
                Assert.True(ipv4.ValidIPChecksum, $"frame {i + 1}: bad IPv4 header checksum");
            }
            ipv6 += packet.Extract<IPv6Packet>() is null ? 0 : 1;
            vlan += packet.Extract<Ieee8021QPacket>() is null ? 0 : 1;
        }
        Assert.True(ipv6 > 0 && vlan > 0, $"IPv6 frames: {ipv6}, VLAN-tagged frames: {vlan}");

        long previous = 0;
        for (var at = 24; at < pcap.Length; at += 16 + (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 8)))
        {
            var micros = (BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at)) * 1_000_000L) + BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 4));
            Assert.True(micros >= previous, $"a frame at offset {at} is stamped before the one ahead of it");
            previous = micros;
        }
    }

    [Fact]
    public void Analyze_reports_exactly_the_generated_mining_flows_as_mining()
    {
        var path = Path.Combine(_dir.Path, "campus.pcap");
        var summary = CampusCapture.WriteFile(new CampusCaptureOptions(Packets, Seed: 3), path);
        var truth = GroundTruth.Read(CampusCapture.TruthPath(path));
        Assert.Equal(summary.MiningFlows, truth);
        Assert.Equal(4, truth.Select(flow => flow.Dialect).Distinct().Count());

        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, path);

        Assert.Equal(ExitCodes.MiningFound, result.ExitCode);
        var reported = new List<string>();
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var alert = JsonDocument.Parse(line);
            var root = alert.RootElement;
            var mining = root.GetProperty("mining");
            if (mining.GetProperty("category").GetString() == "mining")
            {
                reported.Add(Flow(
                    root.GetProperty("src_ip").GetString()!, root.GetProperty("src_port").GetInt32(),
                    root.GetProperty("dest_ip").GetString()!, root.GetProperty("dest_port").GetInt32(),
                    mining.GetProperty("dialect").GetString()!));
            }
        }
        var expected = truth.Select(flow => Flow(flow.ClientIp, flow.ClientPort, flow.ServerIp, flow.ServerPort, flow.Dialect));
        Assert.Equal(expected.Order(StringComparer.Ordinal), reported.Order(StringComparer.Ordinal));
    }

    private static byte[] Generate(int seed, out CampusCaptureSummary summary)
    {
        using var stream = new MemoryStream();
        summary = CampusCapture.Write(new CampusCaptureOptions(Packets, seed), stream);
        return stream.ToArray();
    }

    /// <summary>The miner is the source of a mining event, as it is the client of the truth; addresses compared parsed, not as text.</summary>
    private static string Flow(string minerIp, int minerPort, string poolIp, int poolPort, string dialect) =>
        $"{IPAddress.Parse(minerIp)}:{minerPort} > {IPAddress.Parse(poolIp)}:{poolPort} {dialect}";
}
