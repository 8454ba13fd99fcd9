using PoolDetector.Cli;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Intel;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Cli;

/// <summary>
/// Learned pools leaving a sensor: <c>analyze --learned-out</c> hands the pools of a capture to
/// the sensors, <c>intel export</c> the daemon's; either lands in rules/intel/ of another sensor.
/// </summary>
public sealed class LearnedPoolsCliTests : IDisposable
{
    private static readonly string NpmCapture = Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap");

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>What analyze learned from pcaps/stratum-v1-npm.pcap, written to a file in the scratch folder.</summary>
    private string LearnFromNpmCapture()
    {
        var learned = Path.Combine(_dir.Path, "learned.tsv");
        var result = Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, "--learned-out", learned, NpmCapture);
        Assert.True(result.ExitCode == ExitCodes.MiningFound, result.Stderr);
        Assert.True(File.Exists(learned), "no --learned-out file:\n" + result.Stderr);
        return learned;
    }

    [Fact]
    public void Analyze_learned_out_writes_the_pool_as_intel_another_sensor_loads()
    {
        var learned = LearnFromNpmCapture();
        var text = File.ReadAllText(learned);

        var line = Assert.Single(text.Split('\n'), l => l.Length > 0 && l[0] != '#');
        Assert.StartsWith("127.0.0.1:47333\tADDR\tpooldetector-learned\tpool; learned ", line, StringComparison.Ordinal);
        Assert.Contains("; dialect=stratum-v1;", line, StringComparison.Ordinal);
        Assert.Contains("; sessions=1\tstrong", line, StringComparison.Ordinal);

        // Dropped into rules/intel/ of another sensor, by the real loader.
        var intelDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "intel")).FullName;
        File.Copy(learned, Path.Combine(intelDir, "from-sensor-a.tsv"));
        var loaded = IntelLoader.LoadDirectory(intelDir, DateTimeOffset.UtcNow);
        Assert.Empty(loaded.Errors);
        Assert.True(loaded.Intel.Addresses.TryMatch(IpAddress.Parse("127.0.0.1"), 47333, out var match));
        Assert.Equal("pooldetector-learned", match.Entry.Source);
        Assert.Equal("pool", match.Entry.Kind);
        Assert.Equal(IntelConfidence.Strong, match.Entry.Confidence);
        Assert.False(loaded.Intel.Addresses.TryMatch(IpAddress.Parse("127.0.0.1"), 47334, out _));
    }

    [Fact]
    public void Analyze_learned_out_in_a_missing_directory_is_usage_error_before_any_analysis()
    {
        var missing = Path.Combine(_dir.Path, "nope", "learned.tsv");

        var result = Cli.Run("analyze", "--rules", RepositoryPaths.Rules, "--learned-out", missing, NpmCapture);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"--learned-out {missing}: directory {Path.GetDirectoryName(missing)} does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Intel_export_of_a_clean_file_is_the_file()
    {
        var learned = LearnFromNpmCapture();

        var toStdout = Cli.Run("intel", "export", "--state", learned);
        var exported = Path.Combine(_dir.Path, "exported.tsv");
        var toFile = Cli.Run("intel", "export", "--state", learned, "--output", exported);

        Assert.True(toStdout.ExitCode == ExitCodes.Clean, toStdout.Stderr);
        Assert.Equal("", toStdout.Stderr);
        Assert.Equal(File.ReadAllText(learned), toStdout.Stdout);
        Assert.True(toFile.ExitCode == ExitCodes.Clean, toFile.Stderr);
        Assert.Equal("", toFile.Stdout);
        Assert.Equal(File.ReadAllBytes(learned), File.ReadAllBytes(exported));
    }

    [Fact]
    public void Intel_export_reports_a_damaged_line_by_number_and_leaves_it_out()
    {
        var learned = LearnFromNpmCapture();
        var lines = File.ReadAllLines(learned).ToList();
        var good = lines[3];
        // Line 5: a second pool, cut short by a crash or an editor.
        lines.Add(good.Replace("127.0.0.1:47333", "198.51.100.7:3333", StringComparison.Ordinal)[..40]);
        // Line 6: a third pool, intact.
        lines.Add(good.Replace("127.0.0.1:47333", "198.51.100.8:3333", StringComparison.Ordinal));
        File.WriteAllLines(learned, lines);

        var result = Cli.Run("intel", "export", "--state", learned);

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        Assert.Equal($"{learned}:5: expected 5 tab-separated fields (indicator, indicator_type, meta.source, meta.desc, confidence), found 3", result.Stderr.TrimEnd());
        Assert.Contains("127.0.0.1:47333\tADDR", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("198.51.100.8:3333\tADDR", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.7", result.Stdout, StringComparison.Ordinal);
        var loaded = IntelLoader.Load([("cleaned.tsv", result.Stdout)], DateTimeOffset.UtcNow);
        Assert.Empty(loaded.Errors);
        Assert.Equal(2, loaded.Intel.Addresses.Count);
    }

    [Fact]
    public void Intel_export_of_a_missing_state_file_exits_3_naming_the_path()
    {
        var missing = Path.Combine(_dir.Path, "no-state", "learned-pools.tsv");

        var result = Cli.Run("intel", "export", "--state", missing);

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        Assert.Contains($"{missing}: no such file", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Intel_export_with_an_unknown_option_is_usage_error()
    {
        var result = Cli.Run("intel", "export", "--frobnicate");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'--frobnicate'", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Intel_export_runs_as_the_built_program()
    {
        var learned = LearnFromNpmCapture();

        var result = Cli.RunProcess("intel", "export", "--state", learned);

        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Equal(File.ReadAllText(learned), result.Stdout);
    }
}
