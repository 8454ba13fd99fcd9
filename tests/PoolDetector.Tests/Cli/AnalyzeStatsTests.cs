using System.Globalization;
using System.Text.RegularExpressions;
using PoolDetector.Cli;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Cli;

public sealed partial class AnalyzeStatsTests
{
    private static readonly string Xmrig = Path.Combine(RepositoryPaths.Pcaps, "xmrig-login-job-submit.pcap");
    private static readonly string EthProxy = Path.Combine(RepositoryPaths.Pcaps, "ethproxy.pcap");

    [GeneratedRegex(
        @"^pooldetector: stats: packets=(?<packets>\d+) flows=(?<flows>\d+) wall_seconds=\d+\.\d{3} cpu_seconds=\d+\.\d{3} " +
        @"allocated_bytes=(?<allocated>\d+) allocated_bytes_per_packet=(?<perPacket>\d+\.\d) gc_gen0=\d+ gc_gen1=\d+ gc_gen2=\d+$")]
    private static partial Regex StatsLine();

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("table")]
    public void Stats_adds_one_line_on_stderr_and_leaves_stdout_and_exit_code_as_they_were(string format)
    {
        var plain = Cli.Run("analyze", "--format", format, "--rules", RepositoryPaths.Rules, Xmrig, EthProxy);
        var measured = Cli.Run("analyze", "--format", format, "--rules", RepositoryPaths.Rules, "--stats", Xmrig, EthProxy);

        Assert.Equal(ExitCodes.MiningFound, measured.ExitCode);
        Assert.Equal(plain.ExitCode, measured.ExitCode);
        Assert.Equal(plain.Stdout, measured.Stdout);
        Assert.Equal("", plain.Stderr);
        var line = Assert.Single(measured.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var match = StatsLine().Match(line);
        Assert.True(match.Success, $"not a stats line: {line}");
        // Both files' packets and flows: 24 packets and one TCP flow each.
        Assert.Equal("48", match.Groups["packets"].Value);
        Assert.Equal("2", match.Groups["flows"].Value);
        var allocated = long.Parse(match.Groups["allocated"].Value, CultureInfo.InvariantCulture);
        Assert.True(allocated > 0);
        Assert.Equal((allocated / 48.0).ToString("F1", CultureInfo.InvariantCulture), match.Groups["perPacket"].Value);
    }

    [Fact]
    public void Stats_is_not_printed_after_a_usage_error()
    {
        var result = Cli.Run("analyze", "--stats", "--rules", RepositoryPaths.Rules, Path.Combine(RepositoryPaths.Pcaps, "no-such.pcap"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.DoesNotContain(AnalyzeStats.Prefix, result.Stderr, StringComparison.Ordinal);
    }
}
