using System.Net;
using PacketDotNet;
using PoolDetector.Testing;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>
/// The corpus in pcaps/ as a whole: every file opens with libpcap and has packets, is described
/// in pcaps/README.md, and has its flows in pcaps/expected-flows.csv, and every flow listed
/// there really is in its file (so a re-recording that changed an ephemeral port is caught).
/// A flow is a TCP connection or a UDP client/server pair (a DNS query and its answer).
/// </summary>
public sealed class CorpusTests
{
    private static readonly string ExpectedFlowsPath = Path.Combine(RepositoryPaths.Pcaps, "expected-flows.csv");

    public static TheoryData<string> CommittedCaptures
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var fileName in CommittedFileNames())
            {
                data.Add(fileName);
            }
            return data;
        }
    }

    private static List<string> CommittedFileNames() =>
        Directory.EnumerateFiles(RepositoryPaths.Pcaps, "*.pcap").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void The_corpus_is_not_empty_and_holds_every_generated_capture()
    {
        var committed = CommittedFileNames().ToHashSet(StringComparer.Ordinal);
        Assert.True(committed.Count >= 10, $"only {committed.Count} captures in {RepositoryPaths.Pcaps}");
        foreach (var generated in GeneratedCaptures.All)
        {
            Assert.Contains(generated.FileName, committed);
        }
    }

    [Theory]
    [MemberData(nameof(CommittedCaptures))]
    public void Every_capture_opens_with_libpcap_and_has_packets(string fileName)
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, fileName);
        Assert.True(new FileInfo(path).Length < 200 * 1024, $"{fileName} is over 200 KB");

        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        var packets = 0;
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            Assert.True(capture.Data.Length > 0);
            packets++;
        }
        Assert.True(packets > 0, $"{fileName} holds no packets");
    }

    [Theory]
    [MemberData(nameof(CommittedCaptures))]
    public void Every_capture_is_documented_and_has_expected_flows(string fileName)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Pcaps, "README.md"));
        Assert.Contains("## `" + fileName + "`", readme, StringComparison.Ordinal);
        Assert.Contains(ReadExpectedFlows(), flow => flow.File == fileName);
    }

    [Fact]
    public void Every_expected_flow_is_in_its_capture()
    {
        foreach (var group in ReadExpectedFlows().GroupBy(flow => flow.File))
        {
            var path = Path.Combine(RepositoryPaths.Pcaps, group.Key);
            Assert.True(File.Exists(path), $"expected-flows.csv names {group.Key}, which is not in pcaps/");
            var seen = ConnectionsIn(path);
            foreach (var flow in group)
            {
                Assert.True(
                    seen.Contains(flow.Key),
                    $"{group.Key}: no TCP or UDP packet {flow.ClientIp}:{flow.ClientPort} -> {flow.ServerIp}:{flow.ServerPort}");
                Assert.True(
                    flow.Category is "mining" or "pool-contact" or "crypto-node" or "none",
                    $"{group.Key}: unknown category {flow.Category}");
                Assert.True(flow.Dialect.Length > 0, $"{group.Key}: no dialect for {flow.Key}");
            }
        }
    }

    private sealed record ExpectedFlow(
        string File, IPAddress ClientIp, ushort ClientPort, IPAddress ServerIp, ushort ServerPort, string Category, string Dialect)
    {
        public string Key => $"{ClientIp}:{ClientPort}>{ServerIp}:{ServerPort}";
    }

    private static List<ExpectedFlow> ReadExpectedFlows()
    {
        var lines = File.ReadAllLines(ExpectedFlowsPath);
        Assert.Equal("file,client_ip,client_port,server_ip,server_port,expected_category,dialect,vlan", lines[0]);
        var flows = new List<ExpectedFlow>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            Assert.True(f.Length == 8, $"expected-flows.csv: 8 columns wanted in '{line}'");
            flows.Add(new ExpectedFlow(f[0], IPAddress.Parse(f[1]), ushort.Parse(f[2]), IPAddress.Parse(f[3]), ushort.Parse(f[4]), f[5], f[6]));
        }
        return flows;
    }

    private static HashSet<string> ConnectionsIn(string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            var raw = capture.GetPacket();
            var packet = Packet.ParsePacket(raw.LinkLayerType, raw.Data);
            if (packet.Extract<IPPacket>() is { } ip && packet.Extract<TcpPacket>() is { } tcp)
            {
                seen.Add($"{ip.SourceAddress}:{tcp.SourcePort}>{ip.DestinationAddress}:{tcp.DestinationPort}");
            }
            else if (packet.Extract<IPPacket>() is { } udpIp && packet.Extract<UdpPacket>() is { } udp)
            {
                seen.Add($"{udpIp.SourceAddress}:{udp.SourcePort}>{udpIp.DestinationAddress}:{udp.DestinationPort}");
            }
        }
        return seen;
    }
}
