using System.Runtime.Versioning;
using System.Text.Json;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Published;

/// <summary>
/// The native executable users install does what the tested IL does: the same detections on
/// every project capture, the daemon's configuration read whole (options are set by
/// reflection over <c>SensorOptions</c>, which trimming could break), and live capture with
/// metrics. Everything else is tested on the IL; a difference between the two shows here.
/// </summary>
[SupportedOSPlatform("linux")] // published for linux-x64
public sealed class PublishedExecutableTests(PublishedExecutable published, ITestOutputHelper output) : IClassFixture<PublishedExecutable>
{
    public static TheoryData<string> Captures() => ProjectCaptureTests.Captures();

    [Theory]
    [MemberData(nameof(Captures))]
    public void Analyze_output_is_the_golden_file(string capture)
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, capture);
        using var run = published.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, path);
        var actual = run.Stdout.Replace(RepositoryPaths.Pcaps + Path.DirectorySeparatorChar, "pcaps/", StringComparison.Ordinal);
        var golden = Path.Combine(RepositoryPaths.Pcaps, "expected", Path.ChangeExtension(capture, ".jsonl"));
        Assert.True(File.Exists(golden), $"no golden file {golden} (ProjectCaptureTests writes them)");
        Assert.Equal(File.ReadAllText(golden), actual);
        Assert.Equal("", run.Stderr);
        Assert.Equal(actual.Contains("\"category\":\"mining\"", StringComparison.Ordinal)
            || actual.Contains("\"category\":\"pool-contact\"", StringComparison.Ordinal) ? 1 : 0, run.ExitCode);
    }

    [Fact]
    public void The_rules_shipped_beside_it_are_the_default()
    {
        // No --rules: the published rules/ directory next to the executable.
        using var run = published.Run("analyze", "--format", "csv", Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("stratum-v1", run.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(published.Directory, "rules", "dialects.yml")));
        Assert.True(File.Exists(Path.Combine(published.Directory, "rules", "intel", "pools-domains.tsv")));
    }

    [Fact]
    public void Check_config_reads_every_kind_of_option()
    {
        var directory = Directory.CreateTempSubdirectory("pooldetector-published-config-").FullName;
        try
        {
            var config = Path.Combine(directory, "pooldetector.json");
            var options = new Dictionary<string, object>
            {
                ["Interfaces"] = new[] { "lo", "any" },                  // a list
                ["BpfFilter"] = "tcp port 3333",                         // a string
                ["RulesDirectory"] = RepositoryPaths.Rules,
                ["EveLog"] = Path.Combine(directory, "eve.json"),
                ["MetricsAddress"] = "127.0.0.2",
                ["MetricsPort"] = 9555,                                   // a number
                ["LearnedPoolsFile"] = Path.Combine(directory, "learned.tsv"),
                ["LearnedPoolsSaveInterval"] = "00:02:30",                // a duration
                ["EveStdout"] = true,                                     // a flag
                ["BlocklistTtlMinutes"] = 45,
            };
            File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object> { ["PoolDetector"] = options }));

            using var run = published.Run("check-config", "--config", config);
            output.WriteLine(run.Stdout + run.Stderr);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("configuration OK", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("interfaces: lo, any", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("filter:     tcp port 3333", run.Stdout, StringComparison.Ordinal);
            Assert.Contains($"alerts:     {Path.Combine(directory, "eve.json")} and stdout", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("metrics:    http://127.0.0.2:9555/metrics", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("(saved at most every 00:02:30)", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("(entries kept 45 min after the last mining)", run.Stdout, StringComparison.Ordinal);

            // And an unknown key is still named, with the known ones listed (read from the type).
            using var bad = published.Run("check-config", "--config", config, "--PoolDetector:MetricPort=1");
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("PoolDetector:MetricPort: unknown option (known: ", bad.Stderr, StringComparison.Ordinal);
            Assert.Contains("MetricsPort", bad.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Under memory-deny-write-execute, as deploy/systemd/pooldetector.service runs it
    /// (<c>MemoryDenyWriteExecute=yes</c>, which the kernel enforces like <c>prctl(PR_SET_MDWE)</c>
    /// here): the native executable never needs a page both written and executed. The JIT
    /// build under the same wrapper must fail, or the wrapper proves nothing.
    /// </summary>
    [EndToEndFact("node", "stratum-npm", "python3")]
    public void Daemon_captures_a_real_stratum_session_under_memory_deny_write_execute()
    {
        var wrapper = WriteMdweWrapper(published.Program);
        using (var jit = ChildProcess.Run(WriteMdweWrapper("dotnet"), [Path.Combine(AppContext.BaseDirectory, "pooldetector.dll"), "--version"], TimeSpan.FromSeconds(30)))
        {
            Assert.NotEqual(0, jit.ExitCode);
        }

        var poolPort = Wait.FreeTcpPort();
        using var daemon = DaemonProcess.Start("lo", $"tcp port {poolPort}", program: wrapper);
        var peers = NodePeers.Exchange(poolPort);
        Assert.Contains("share accepted (2)", peers.MinerOutput, StringComparison.Ordinal);

        var alerts = daemon.WaitForAlerts(1, TimeSpan.FromSeconds(10));
        Assert.True(alerts.Count >= 1, "no alert from the published daemon:\n" + daemon.Describe());
        var mining = alerts[0].GetProperty("mining");
        Assert.Equal(peers.ClientPort, alerts[0].GetProperty("src_port").GetInt32());
        Assert.Equal("stratum-v1", mining.GetProperty("dialect").GetString());
        Assert.Equal("pooldetector.rig1", mining.GetProperty("worker").GetString());

        var metrics = "";
        Wait.Until(() => DaemonProcess.Samples(metrics = daemon.Metrics(), "pooldetector_detections_total", ("category", "mining")).Sum(s => s.Value) >= 1,
            TimeSpan.FromSeconds(10));
        Assert.True(DaemonProcess.Samples(metrics, "pooldetector_detections_total", ("category", "mining")).Sum(s => s.Value) >= 1, metrics);
        Assert.Single(DaemonProcess.Samples(metrics, "pooldetector_build_info"));
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
    }

    /// <summary>A script that turns on PR_SET_MDWE (inherited across exec) and runs <paramref name="program"/>.</summary>
    private string WriteMdweWrapper(string program)
    {
        var path = Path.Combine(published.Directory, "mdwe-" + Path.GetFileName(program));
        File.WriteAllText(path, $$"""
            #!/bin/sh
            exec python3 -c '
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                sys.exit("prctl(PR_SET_MDWE): errno %d" % ctypes.get_errno())
            os.execvp(sys.argv[1], sys.argv[1:])
            ' "{{program}}" "$@"
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
