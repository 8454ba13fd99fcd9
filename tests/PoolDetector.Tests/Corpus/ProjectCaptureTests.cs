using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// The project's own captures (pcaps/): the verdict for every flow listed in
/// pcaps/expected-flows.csv, and `analyze --format jsonl` output against golden files.
/// </summary>
public class ProjectCaptureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepositoryPaths.Pcaps, "*.pcap").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    /// <summary>The values of expected-flows.csv's expected_category column; <c>none</c> means not reported at all.</summary>
    private static readonly string[] Categories = ["mining", "pool-contact", "crypto-node", "none"];

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

        // Every row is checked and every mismatch named, so one run shows all that is wrong.
        var wrong = new List<string>();
        foreach (var f in rows)
        {
            var pair = CaptureRunner.Pair(f[1], int.Parse(f[2]), f[3], int.Parse(f[4]));
            var expected = f[5];
            Assert.Contains(expected, Categories);
            if (expected == "none")
            {
                if (byPair.TryGetValue(pair, out var flagged))
                {
                    wrong.Add($"{pair} ({f[6]}) must stay clean, got {flagged.Category.ToWireName()} {flagged.Dialect}: {string.Join(",", flagged.Evidence)}");
                }
                continue;
            }
            if (!byPair.TryGetValue(pair, out var d))
            {
                wrong.Add($"{pair} ({f[6]}) should be reported as {expected}, was not reported");
                continue;
            }
            if (d.Category.ToWireName() != expected)
            {
                wrong.Add($"{pair} ({f[6]}) should be reported as {expected}, got {d.Category.ToWireName()} {d.Dialect}: {string.Join(",", d.Evidence)}");
            }
            // For mining rows the dialect column is the detector's dialect; for the other
            // categories it only describes the flow (tls-pool-sni, dns-pool-name, ...).
            if (expected == "mining" && d.Dialect != f[6])
            {
                wrong.Add($"{pair}: dialect {d.Dialect}, expected {f[6]}");
            }
            // The miner is the listed client, whatever the capture's first packet was.
            if (d.MinerAddress.ToString() != f[1] || d.MinerPort != int.Parse(f[2]))
            {
                wrong.Add($"{pair}: miner reported as {d.MinerAddress}:{d.MinerPort}, expected {f[1]}:{f[2]}");
            }
            var vlans = f[7].Length == 0 ? [] : f[7].Split(';').Select(ushort.Parse).ToArray();
            if (!vlans.SequenceEqual(d.Vlans))
            {
                wrong.Add($"{pair}: VLANs [{string.Join(";", d.Vlans)}], expected [{f[7]}]");
            }
        }
        var listed = rows.Where(f => f[5] != "none").Select(f => CaptureRunner.Pair(f[1], int.Parse(f[2]), f[3], int.Parse(f[4]))).ToHashSet();
        foreach (var d in detections.Where(d => !listed.Contains(CaptureRunner.Pair(d))))
        {
            if (!rows.Any(f => f[5] == "none" && CaptureRunner.Pair(f[1], int.Parse(f[2]), f[3], int.Parse(f[4])) == CaptureRunner.Pair(d)))
            {
                wrong.Add($"{CaptureRunner.Pair(d)} is not listed in expected-flows.csv, got {d.Category.ToWireName()} {d.Dialect}: {string.Join(",", d.Evidence)}");
            }
        }
        Assert.True(wrong.Count == 0, $"{capture}:\n  " + string.Join("\n  ", wrong));
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

        Golden.AssertMatches(golden, actual, output);
        // Exit 1 for mining or pool contact; node traffic alone is not mining.
        var miningActivity = actual.Contains("\"category\":\"mining\"", StringComparison.Ordinal)
            || actual.Contains("\"category\":\"pool-contact\"", StringComparison.Ordinal);
        Assert.Equal(miningActivity ? 1 : 0, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }
}
