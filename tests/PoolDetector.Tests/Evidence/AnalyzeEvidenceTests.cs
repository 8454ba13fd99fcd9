using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Evidence;

/// <summary>
/// <c>analyze --evidence DIR</c>: one pcap per detected flow, named in its event with its SHA-256.
/// Each file is read back with the program's own libpcap reader and checked frame by frame
/// against the input: exactly the flow's packets (both directions, its 5-tuple and VLANs, in
/// capture order, byte for byte), as many as the event's packet counts say.
/// </summary>
public sealed partial class AnalyzeEvidenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Captures => new(
        "stratum-v1-npm.pcap",
        "xmrig-login-job-submit.pcap",
        // Two QinQ/802.1Q flows and an IPv6 one, and a file of several flows.
        "stratum-v1-vlan-qinq.pcap",
        "dns-pool-then-tls.pcap",
        // Linux cooked v2 and raw IP: the file keeps the input's link type.
        "stratum-v1-npm-sll2.pcap",
        "getwork-http.pcap");

    [Theory]
    [MemberData(nameof(Captures))]
    public void Each_event_names_a_pcap_holding_exactly_its_flow_with_its_sha256(string capture)
    {
        var input = Path.Combine(RepositoryPaths.Pcaps, capture);
        using var scratch = new Cli.TempDirectory();
        var evidence = Path.Combine(scratch.Path, "evidence");
        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, "--evidence", evidence, input);
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal("", result.Stderr);

        var events = Lines(result.Stdout);
        Assert.NotEmpty(events);
        var inputFrames = CaptureRunner.ReadFrames(input);
        foreach (var e in events)
        {
            var mining = e["mining"]!;
            var pcap = (string)mining["pcap"]!;
            var sha = (string)mining["pcap_sha256"]!;
            output.WriteLine($"{e["src_ip"]}:{e["src_port"]} -> {e["dest_ip"]}:{e["dest_port"]}: {pcap} {sha}");

            // Below DIR, in the documented shape, with nothing from the traffic but numbers.
            Assert.StartsWith(evidence + "/", pcap, StringComparison.Ordinal);
            Assert.Matches(FileName(), pcap[(evidence.Length + 1)..]);
            Assert.True(File.Exists(pcap), pcap);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(pcap))), sha);

            var key = KeyOf(e);
            var flow = (JsonObject)mining["flow"]!;
            var expected = inputFrames.Where(f => KeyOfFrame(f.Link, f.Frame) == key).ToList();
            var written = CaptureRunner.ReadFrames(pcap);
            Assert.Equal((long)flow["pkts_toserver"]! + (long)flow["pkts_toclient"]!, written.Count);
            Assert.Equal(expected.Count, written.Count);
            for (var i = 0; i < written.Count; i++)
            {
                Assert.Equal(expected[i].Link, written[i].Link);
                Assert.Equal(expected[i].Micros, written[i].Micros);
                Assert.Equal(expected[i].Frame, written[i].Frame);
                Assert.Equal(key, KeyOfFrame(written[i].Link, written[i].Frame));
            }
            // Both directions are there.
            Assert.Contains(written, f => SourcePort(f.Link, f.Frame) == (int)e["src_port"]!);
            Assert.Contains(written, f => SourcePort(f.Link, f.Frame) == (int)e["dest_port"]!);
        }
        // One file per event, and nothing else left behind (no partial files).
        Assert.Equal(events.Count, Directory.GetFiles(evidence, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Without_evidence_the_output_is_the_golden_one_and_with_it_only_the_pcap_fields_are_added()
    {
        var input = Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-vlan-qinq.pcap");
        using var scratch = new Cli.TempDirectory();
        var plain = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, input);
        var withEvidence = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, "--evidence", scratch.Path, input);
        Assert.Equal(1, withEvidence.ExitCode);

        var golden = File.ReadAllText(Path.Combine(RepositoryPaths.Pcaps, "expected", "stratum-v1-vlan-qinq.jsonl"));
        Assert.Equal(golden, plain.Stdout.Replace(RepositoryPaths.Pcaps + "/", "pcaps/", StringComparison.Ordinal));
        Assert.DoesNotContain("\"pcap\"", plain.Stdout, StringComparison.Ordinal);

        var stripped = Lines(withEvidence.Stdout).Select(e =>
        {
            var mining = (JsonObject)e["mining"]!;
            Assert.True(mining.Remove("pcap"));
            Assert.True(mining.Remove("pcap_sha256"));
            return e.ToJsonString();
        });
        var expected = Lines(plain.Stdout).Select(e => e.ToJsonString());
        Assert.Equal(expected, stripped);
    }

    [Fact]
    public void The_same_input_gives_the_same_files_again()
    {
        var input = Path.Combine(RepositoryPaths.Pcaps, "dns-pool-then-tls.pcap");
        using var scratch = new Cli.TempDirectory();
        var first = Cli.Cli.Run("analyze", "--format", "jsonl", "--evidence", scratch.Path, input);
        var second = Cli.Cli.Run("analyze", "--format", "jsonl", "--evidence", scratch.Path, input);
        Assert.Equal(first.Stdout, second.Stdout);
        // Replaced, not added beside: the names are the flows'.
        Assert.Equal(Lines(first.Stdout).Count, Directory.GetFiles(scratch.Path, "*.pcap", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void A_flow_beyond_the_packet_bound_keeps_its_first_packets_and_says_so()
    {
        var input = Path.Combine(RepositoryPaths.Pcaps, "xmrig-login-job-submit.pcap");
        using var scratch = new Cli.TempDirectory();
        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--evidence", scratch.Path, "--evidence-max-packets", "5", input);
        Assert.Equal(1, result.ExitCode);
        var e = Assert.Single(Lines(result.Stdout));
        var pcap = (string)e["mining"]!["pcap"]!;
        var written = CaptureRunner.ReadFrames(pcap);
        var key = KeyOf(e);
        Assert.Equal(CaptureRunner.ReadFrames(input).Where(f => KeyOfFrame(f.Link, f.Frame) == key).Take(5).Select(f => f.Frame), written.Select(f => f.Frame));
        Assert.Contains("the file holds its first 5 packets", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_evidence_path_that_is_a_file_is_bad_usage()
    {
        using var scratch = new Cli.TempDirectory();
        var file = scratch.File("not-a-directory", [1]);
        var result = Cli.Cli.Run("analyze", "--evidence", file, Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--evidence {file}: is a file; name a directory", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    private static List<JsonObject> Lines(string jsonl) =>
        [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => (JsonObject)JsonNode.Parse(line)!)];

    /// <summary>The flow of an event as an unordered, VLAN-qualified 5-tuple.</summary>
    private static string KeyOf(JsonObject e)
    {
        var vlans = e["vlan"] is JsonArray tags ? string.Join('.', tags.Select(t => (int)t!)) : "";
        return Key((string)e["src_ip"]!, (int)e["src_port"]!, (string)e["dest_ip"]!, (int)e["dest_port"]!, (string)e["proto"]!, vlans);
    }

    /// <summary>The same key for a frame, decoded with the engine's own decoder (no tshark).</summary>
    private static string? KeyOfFrame(LinkType link, byte[] frame)
    {
        if (PacketDecoder.Decode(link, frame, out var p) != DecodeStatus.Ok)
        {
            return null;
        }
        var vlans = p.OuterVlan == 0 ? "" : p.InnerVlan == 0 ? $"{p.OuterVlan}" : $"{p.OuterVlan}.{p.InnerVlan}";
        return Key(p.Source.ToString(), p.SourcePort, p.Destination.ToString(), p.DestinationPort,
            p.Transport == TransportProtocol.Tcp ? "TCP" : "UDP", vlans);
    }

    private static int SourcePort(LinkType link, byte[] frame)
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(link, frame, out var p));
        return p.SourcePort;
    }

    private static string Key(string a, int aPort, string b, int bPort, string proto, string vlans) =>
        $"{proto} {CaptureRunner.Pair(a, aPort, b, bPort)} vlan {vlans}";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}/\d{6}-[0-9a-f]{16}-[0-9a-f._]+\.\d+-[0-9a-f._]+\.\d+(-\d+)?\.pcap$")]
    private static partial Regex FileName();
}
