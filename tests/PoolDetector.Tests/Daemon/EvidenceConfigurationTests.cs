using PoolDetector.Cli;
using CliProcess = PoolDetector.Tests.Cli.Cli;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>The evidence options, validated at start like the others: every problem named with its key, exit 2.</summary>
public sealed class EvidenceConfigurationTests
{
    [Fact]
    public void Rejects_an_evidence_directory_that_is_a_file_and_limits_out_of_range()
    {
        using var config = new DaemonConfig();
        var file = Path.Combine(config.Directory, "not-a-directory");
        File.WriteAllText(file, "");
        config.Settings["EvidenceDirectory"] = file;
        config.Settings["EvidenceMaxMiB"] = 1;
        config.Settings["EvidenceMaxAgeDays"] = 0;
        config.Settings["EvidenceBufferMiB"] = 0;
        config.Settings["EvidenceBufferSeconds"] = 0;
        config.Settings["EvidenceFollowSeconds"] = -1;
        config.Settings["EvidenceFollowPackets"] = 2_000_000;
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"PoolDetector:EvidenceDirectory: {file} is a file; name a directory", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceMaxMiB: 1 is out of range (16-16777216 MiB)", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceMaxAgeDays: 0 is out of range (1-36500 days)", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceBufferMiB: 0 is out of range (1-2047 MiB)", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceBufferSeconds: 0 is out of range (1-86400 s)", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceFollowSeconds: -1 is out of range (0-3600 s)", result.Stderr);
        Assert.Contains("PoolDetector:EvidenceFollowPackets: 2000000 is out of range (0-1000000 packets)", result.Stderr);
    }

    [Fact]
    public void Rejects_an_evidence_directory_that_cannot_be_created()
    {
        using var config = new DaemonConfig();
        var blocker = Path.Combine(config.Directory, "blocker");
        File.WriteAllText(blocker, "");
        var evidence = Path.Combine(blocker, "evidence");
        config.Settings["EvidenceDirectory"] = evidence;
        var result = CliProcess.RunProcess("run", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"PoolDetector:EvidenceDirectory: {evidence} cannot be created: {blocker} is a file", result.Stderr);
    }

    [Fact]
    public void Check_config_says_where_evidence_goes_and_creates_nothing()
    {
        using var config = new DaemonConfig();
        var evidence = Path.Combine(config.Directory, "state", "evidence");
        config.Settings["EvidenceDirectory"] = evidence;
        config.Settings["EvidenceMaxMiB"] = 2048;
        config.Settings["EvidenceMaxAgeDays"] = 30;
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Contains($"  evidence:   {evidence} (at most 2048 MiB, 30 days)", result.Stdout);
        Assert.False(Directory.Exists(evidence));

        // Empty: off, and its limits are not even looked at.
        config.Settings["EvidenceDirectory"] = "";
        config.Settings["EvidenceMaxMiB"] = 0;
        result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Contains("  evidence:   off", result.Stdout);
    }
}
