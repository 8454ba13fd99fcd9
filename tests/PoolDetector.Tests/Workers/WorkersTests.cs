using System.Text.Json;
using PoolDetector.Bench.Generation;
using PoolDetector.Capture;
using PoolDetector.Cli;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Testing;
using PoolDetector.Tests.Cli;
using PoolDetector.Tests.Corpus;
using PoolDetector.Workers;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Workers;

/// <summary>
/// <c>analyze --workers N</c> prints what one engine prints, line for line and in the same
/// order: on every project capture, on a generated campus capture (thousands of flows ending
/// at the same packets on different workers), and on the shared captures by others. And the
/// two things that make it so: DNS answers and DHCP leases reach a flow on another worker.
/// </summary>
public sealed class WorkersTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Captures() => ProjectCaptureTests.Captures();

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_project_capture_gives_one_engines_output_with_2_3_and_4_workers(string capture) =>
        AssertSameAsOneEngine(Path.Combine(RepositoryPaths.Pcaps, capture), 2, 3, 4);

    [Fact]
    public void A_generated_campus_capture_gives_one_engines_output()
    {
        // 4,000 conversations open at a time, so flows of every worker end at the same packets.
        var path = Path.Combine(_dir.Path, "campus.pcap");
        var summary = CampusCapture.WriteFile(new CampusCaptureOptions(60_000, Seed: 5), path);
        var lines = AssertSameAsOneEngine(path, 2, 3);
        Assert.True(summary.MiningFlows.Count >= 4 && lines >= summary.MiningFlows.Count,
            $"{lines} detections of {summary.MiningFlows.Count} mining flows");
    }

    [Fact]
    public void The_shared_captures_by_others_give_one_engines_output()
    {
        if (RepositoryPaths.SharedPcaps is not { } shared)
        {
            output.WriteLine("skipped: ../shared/pcaps is not beside the repository");
            return;
        }
        var files = Directory.EnumerateFiles(shared, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count > 100, $"{files.Count} captures under {shared}");
        // All of them in one run each way: the files keep their order, and every file starts over.
        var one = Cli.Cli.Run(["analyze", "--format", "jsonl", "--quiet", "--rules", RepositoryPaths.Rules, .. files]);
        var three = Cli.Cli.Run(["analyze", "--format", "jsonl", "--quiet", "--rules", RepositoryPaths.Rules, "--workers", "3", .. files]);
        Assert.Equal(one.ExitCode, three.ExitCode);
        Assert.Equal(one.Stderr, three.Stderr);
        AssertSameLines(one.Stdout, three.Stdout);
        output.WriteLine($"{files.Count} files, {one.Stdout.Count(c => c == '\n')} detections, the same with 3 workers");
    }

    /// <summary>
    /// The pool's address came from a DNS answer (dnsmasq's, on 127.0.0.153): the TLS flow to it
    /// is named after the pool only if its worker saw the answer, which another worker's flow carried.
    /// </summary>
    [Fact]
    public void A_dns_answer_reaches_the_worker_of_the_flow_that_uses_it()
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, "dns-pool-then-tls.pcap");
        var bound = OneEngine(path).Where(d => d.GetProperty("mining").GetProperty("evidence").EnumerateArray()
            .Any(e => e.GetString()!.StartsWith("dns-bound:", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(bound);
        foreach (var detection in bound)
        {
            AssertSameAsOneEngine(path, WorkersSeparating(path, detection));
        }
    }

    /// <summary>Host names come from DHCP (dnsmasq's leases, server 10.99.0.1:67): the miner's flow gets its name on a worker that saw no DHCP flow of its own.</summary>
    [Fact]
    public void A_dhcp_lease_reaches_the_worker_of_the_flow_it_names()
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, "dhcp-then-stratum.pcap");
        var named = OneEngine(path).Where(d => d.GetProperty("src_ip").GetString()!.StartsWith("10.", StringComparison.Ordinal)
            && d.GetProperty("mining").GetProperty("host").GetProperty("hostname").ValueKind == JsonValueKind.String).ToList();
        Assert.NotEmpty(named);
        AssertSameAsOneEngine(path, WorkersSeparating(path, named[0]));
    }

    /// <summary>
    /// The smallest worker count that puts the detection's flow on a worker that owns none of
    /// the capture's DNS and DHCP packets: what it learns from them, it learns from copies.
    /// </summary>
    private int WorkersSeparating(string path, JsonElement detection)
    {
        var home = HomeNetworks.Parse(HomeNetworks.Defaults, "", []);
        var flow = new DecodedPacket
        {
            Source = IpAddress.Parse(detection.GetProperty("src_ip").GetString()!),
            SourcePort = (ushort)detection.GetProperty("src_port").GetInt32(),
            Destination = IpAddress.Parse(detection.GetProperty("dest_ip").GetString()!),
            DestinationPort = (ushort)detection.GetProperty("dest_port").GetInt32(),
        };
        var teachers = new TeachingPackets();
        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        using (reader)
        {
            reader.ReadAll(teachers);
        }
        Assert.NotEmpty(teachers.Packets);
        var workers = Enumerable.Range(2, 30).First(n =>
            teachers.Packets.TrueForAll(p => FlowShard.Owner(p, home, n) != FlowShard.Owner(flow, home, n)));
        output.WriteLine($"{teachers.Packets.Count} DNS and DHCP packets, none on the worker of {flow.Destination}:{flow.DestinationPort} of {workers}");
        return workers;
    }

    private sealed class TeachingPackets : IFrameSink
    {
        public List<DecodedPacket> Packets { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            if (PacketDecoder.Decode(linkType, frame, out var packet) == DecodeStatus.Ok
                && Detector.TeachesOtherFlows(packet.Transport, packet.SourcePort, packet.DestinationPort))
            {
                Packets.Add(packet);
            }
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-2")]
    public void A_worker_count_out_of_range_is_a_usage_error(string workers)
    {
        var result = Cli.Cli.Run("analyze", "--rules", RepositoryPaths.Rules, "--workers", workers, Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"--workers {workers}: must be 1-64", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Stats_count_every_packet_and_flow_once()
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, "dns-pool-then-tls.pcap");
        var one = Cli.Cli.Run("analyze", "--format", "jsonl", "--stats", "--rules", RepositoryPaths.Rules, path);
        var four = Cli.Cli.Run("analyze", "--format", "jsonl", "--stats", "--rules", RepositoryPaths.Rules, "--workers", "4", path);
        static string Counts(string stderr) => string.Join(' ', stderr.Split(' ').Where(f => f.StartsWith("packets=", StringComparison.Ordinal) || f.StartsWith("flows=", StringComparison.Ordinal)));
        Assert.Matches("packets=[1-9][0-9]* flows=[1-9]", Counts(one.Stderr));
        Assert.Equal(Counts(one.Stderr), Counts(four.Stderr));
    }

    private static List<JsonElement> OneEngine(string path)
    {
        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, path);
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    /// <summary>The output, exit code and errors of <c>--workers N</c> for each N equal those of one engine; the number of lines.</summary>
    private static int AssertSameAsOneEngine(string path, params int[] workerCounts)
    {
        var one = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, path);
        foreach (var workers in workerCounts)
        {
            var many = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
            Assert.Equal(one.ExitCode, many.ExitCode);
            Assert.Equal(one.Stderr, many.Stderr);
            AssertSameLines(one.Stdout, many.Stdout);
        }
        return one.Stdout.Count(c => c == '\n');
    }

    /// <summary>Equal text; on a difference, the first line that differs, not two walls of JSON.</summary>
    private static void AssertSameLines(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Min(e.Length, a.Length); i++)
        {
            Assert.True(e[i] == a[i], $"line {i + 1} differs:\n one engine: {e[i]}\n workers:    {a[i]}");
        }
        Assert.Equal(e.Length, a.Length);
    }
}
