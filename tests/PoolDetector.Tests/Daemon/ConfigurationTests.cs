using PoolDetector.Cli;
using CliProcess = PoolDetector.Tests.Cli.Cli;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>Bad configuration through the real program: every problem named, exit 2, nothing started.</summary>
public sealed class ConfigurationTests
{
    private static readonly string[] Commands = ["check-config", "run"];

    public static TheoryData<string> Both => new(Commands);

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_UnknownInterface(string command)
    {
        using var config = new DaemonConfig();
        config.Settings["Interfaces"] = new[] { "lo", "pdnosuch0" };
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:Interfaces:1: unknown interface 'pdnosuch0' (available: ", result.Stderr);
        Assert.Contains("lo", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_FilterThatDoesNotCompile(string command)
    {
        using var config = new DaemonConfig();
        config.Settings["BpfFilter"] = "tcp prot 80";
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:BpfFilter: 'tcp prot 80' does not compile for lo", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_BadPort(string command)
    {
        using var config = new DaemonConfig();
        config.Settings["MetricsPort"] = 70000;
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:MetricsPort: 70000 is not a port (1-65535)", result.Stderr);
    }

    [Fact]
    public void A_metrics_port_in_use_is_a_configuration_error_naming_the_port()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        using var config = new DaemonConfig();
        config.Settings["MetricsPort"] = port;
        var result = CliProcess.RunProcess("run", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"Metrics: cannot listen on address 127.0.0.1 port {port}", result.Stderr);
    }

    [Fact]
    public void Rejects_HostNameAsMetricsAddress()
    {
        using var config = new DaemonConfig();
        config.Settings["MetricsAddress"] = "localhost";
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:MetricsAddress: 'localhost' is not an IP address", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_BrokenRules_WithFileAndLine(string command)
    {
        using var config = new DaemonConfig();
        File.WriteAllText(Path.Combine(config.RulesDirectory, "broken.yml"), "kind: methods\nmethods:\n  - name: [unclosed\n");
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:RulesDirectory: " + Path.Combine(config.RulesDirectory, "broken.yml") + ":", result.Stderr);
    }

    [Fact]
    public void Rejects_MissingRulesDirectory()
    {
        using var config = new DaemonConfig();
        config.Settings["RulesDirectory"] = Path.Combine(config.Directory, "norules");
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:RulesDirectory: " + Path.Combine(config.Directory, "norules") + ": no such directory", result.Stderr);
    }

    [Fact]
    public void Rejects_UnreadableRuleFile()
    {
        using var config = new DaemonConfig();
        // A rule file pointing nowhere cannot be read, even by root (whom chmod 000 does not stop).
        File.CreateSymbolicLink(Path.Combine(config.RulesDirectory, "unreadable.yml"), Path.Combine(config.Directory, "gone.yml"));
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:RulesDirectory: " + Path.Combine(config.RulesDirectory, "unreadable.yml") + ": cannot read", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_NoInterfaces(string command)
    {
        using var config = new DaemonConfig();
        config.Settings["Interfaces"] = Array.Empty<string>();
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:Interfaces: no interfaces configured", result.Stderr);
    }

    [Fact]
    public void Reports_EveryError_AtOnce()
    {
        using var config = new DaemonConfig();
        config.Settings["Interfaces"] = new[] { "pdnosuch0" };
        config.Settings["MetricsPort"] = 0;
        config.Settings["SnapLength"] = 10;
        config.Settings["QueueCapacity"] = 1;
        config.Settings["KernelBufferMiB"] = 0;
        config.Settings["EveLog"] = Path.Combine(config.Directory, "missing", "eve.json");
        config.Settings["Snaplen"] = 1; // misspelt key
        File.WriteAllText(Path.Combine(config.RulesDirectory, "broken.yml"), "kind: nonsense\n");
        var result = CliProcess.RunProcess("run", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:Interfaces:0: unknown interface 'pdnosuch0'", result.Stderr);
        Assert.Contains("PoolDetector:MetricsPort: 0 is not a port", result.Stderr);
        Assert.Contains("PoolDetector:SnapLength: 10 is out of range (64-262144 bytes)", result.Stderr);
        Assert.Contains("PoolDetector:QueueCapacity: 1 is out of range", result.Stderr);
        Assert.Contains("PoolDetector:KernelBufferMiB: 0 is out of range", result.Stderr);
        Assert.Contains("PoolDetector:EveLog: directory " + Path.Combine(config.Directory, "missing") + " does not exist", result.Stderr);
        Assert.Contains("PoolDetector:Snaplen: unknown option", result.Stderr);
        Assert.Contains("unknown kind 'nonsense'", result.Stderr);
    }

    [Theory]
    [MemberData(nameof(Both))]
    public void Rejects_LearnedPoolsFile_ThatCannotBeSaved(string command)
    {
        using var config = new DaemonConfig();
        var blocker = Path.Combine(config.Directory, "not-a-directory");
        File.WriteAllText(blocker, "");
        config.Settings["LearnedPoolsFile"] = Path.Combine(blocker, "state", "learned-pools.tsv");
        config.Settings["LearnedPoolsSaveInterval"] = "00:00:00";
        var result = CliProcess.RunProcess(command, "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"PoolDetector:LearnedPoolsFile: directory {Path.Combine(blocker, "state")} cannot be created: {blocker} is a file", result.Stderr);
        Assert.Contains("PoolDetector:LearnedPoolsSaveInterval: 00:00:00 is out of range (00:00:01-1.00:00:00)", result.Stderr);
    }

    [Fact]
    public void Rejects_LearnedPoolsFile_ThatIsADirectory_And_AnIntervalWithoutUnits()
    {
        using var config = new DaemonConfig();
        config.Settings["LearnedPoolsFile"] = config.Directory;
        // A bare number would be read as days by TimeSpan's parsers.
        config.Settings["LearnedPoolsSaveInterval"] = "60";
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"PoolDetector:LearnedPoolsFile: {config.Directory} is a directory; name a file", result.Stderr);
        Assert.Contains("PoolDetector:LearnedPoolsSaveInterval: '60' is not a duration (hh:mm:ss, e.g. 00:01:00)", result.Stderr);
    }

    [Fact]
    public void Every_option_is_in_the_example_configuration_and_the_readme()
    {
        var example = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(PoolDetector.Testing.RepositoryPaths.Root, "deploy", "pooldetector.json")));
        var listed = example.RootElement.GetProperty(Hosting.SensorOptions.Section).EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var readme = File.ReadAllText(Path.Combine(PoolDetector.Testing.RepositoryPaths.Root, "README.md"));
        foreach (var option in typeof(Hosting.SensorOptions).GetProperties().Select(p => p.Name))
        {
            Assert.True(listed.Contains(option), $"deploy/pooldetector.json lacks {option}");
            Assert.True(readme.Contains($"| `{option}` |", StringComparison.Ordinal), $"README's option table lacks {option}");
        }
    }

    [Fact]
    public void Rejects_MissingExplicitConfigFile()
    {
        var result = CliProcess.RunProcess("check-config", "--config", "/nonexistent/pooldetector.json");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--config /nonexistent/pooldetector.json: no such file", result.Stderr);
    }

    [Fact]
    public void Rejects_ValueOfTheWrongType()
    {
        using var config = new DaemonConfig();
        config.Settings["MaxFlows"] = "many";
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:MaxFlows: 'many' is not a whole number", result.Stderr);
    }

    [Fact]
    public void Accepts_GoodConfiguration()
    {
        using var config = new DaemonConfig();
        config.Settings["BpfFilter"] = "tcp port 3333";
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.StartsWith("configuration OK", result.Stdout);
        Assert.Contains("interfaces: lo", result.Stdout);
        Assert.Contains($"learned:    {config.LearnedPoolsFile} (saved at most every 00:01:00)", result.Stdout);
        Assert.False(File.Exists(config.EveLog), "check-config leaves no alert file behind");
        Assert.False(Directory.Exists(Path.GetDirectoryName(config.LearnedPoolsFile)), "check-config creates no state directory");
    }

    [Fact]
    public void CommandLine_Overrides_File()
    {
        using var config = new DaemonConfig();
        config.Settings["MetricsPort"] = 70000;
        var result = CliProcess.RunProcess("check-config", "--config", config.Write(), "--PoolDetector:MetricsPort=9475");
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Contains("127.0.0.1:9475", result.Stdout);
    }
}
