using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// The project's own captures (pcaps/): the verdict for every flow listed in
/// pcaps/expected-flows.csv, and `analyze --format jsonl` output against golden files.
/// </summary>
public class ProjectCaptureTests(ITestOutputHelper output)
{
    /// <summary>Set to 1 to rewrite pcaps/expected/*.jsonl on purpose after a deliberate change.</summary>
    private const string UpdateGoldenVariable = "POOLDETECTOR_UPDATE_GOLDEN";

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepositoryPaths.Pcaps, "*.pcap").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_listed_flow_gets_its_expected_verdict_and_nothing_else_is_flagged(string capture)
    {
        var rows = File.ReadLines(Path.Combine(RepositoryPaths.Pcaps, "expected-flows.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[0] == capture)
            .ToList();
        Assert.NotEmpty(rows);
        var detections = CaptureRunner.Run(Path.Combine(RepositoryPaths.Pcaps, capture));
        var byPair = detections.ToDictionary(CaptureRunner.Pair);

        foreach (var f in rows)
        {
            var pair = CaptureRunner.Pair(f[1], int.Parse(f[2]), f[3], int.Parse(f[4]));
            if (f[5] == "mining")
            {
                Assert.True(byPair.TryGetValue(pair, out var d), $"{capture}: {pair} should be detected as mining");
                Assert.Equal(DetectionCategory.Mining, d.Category);
                Assert.Equal(f[6], d.Dialect);
                // The miner is the listed client, whatever the capture's first packet was.
                Assert.Equal(f[1], d.MinerAddress.ToString());
                Assert.Equal(int.Parse(f[2]), d.MinerPort);
                Assert.Equal(f[7].Length == 0 ? [] : f[7].Split(';').Select(ushort.Parse).ToArray(), d.Vlans);
            }
            else
            {
                Assert.False(byPair.ContainsKey(pair), $"{capture}: {pair} must stay clean, got {(byPair.TryGetValue(pair, out var d) ? string.Join(",", d.Evidence) : "")}");
            }
        }
        var listed = rows.Where(f => f[5] == "mining").Select(f => CaptureRunner.Pair(f[1], int.Parse(f[2]), f[3], int.Parse(f[4]))).ToHashSet();
        Assert.All(byPair.Keys, pair => Assert.Contains(pair, listed));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Analyze_jsonl_matches_the_golden_file(string capture)
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, capture);
        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, path);
        // pcap_filename carries the path as given: make it the repository-relative one.
        var actual = result.Stdout.Replace(RepositoryPaths.Pcaps + Path.DirectorySeparatorChar, "pcaps/", StringComparison.Ordinal);
        var golden = Path.Combine(RepositoryPaths.Pcaps, "expected", Path.ChangeExtension(capture, ".jsonl"));

        if (Environment.GetEnvironmentVariable(UpdateGoldenVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllText(golden, actual);
            output.WriteLine($"rewrote {golden}");
        }

        Assert.True(File.Exists(golden), $"no golden file {golden}: run the tests once with {UpdateGoldenVariable}=1 and review the diff");
        Assert.Equal(File.ReadAllText(golden), actual);
        Assert.Equal(actual.Length == 0 ? 0 : 1, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }
}
