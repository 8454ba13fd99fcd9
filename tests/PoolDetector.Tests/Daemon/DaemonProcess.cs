using System.Text.Json;
using PoolDetector.Testing;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// A scratch configuration for the daemon: a temp folder with the JSON file, the EVE log, the
/// learned pools file (never the machine's /var/lib/pooldetector: tests must not share what
/// one daemon learned with the next), evidence captures off, and a copy of the rules.
/// </summary>
internal sealed class DaemonConfig : IDisposable
{
    public DaemonConfig()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pooldetector-daemon-").FullName;
        RulesDirectory = System.IO.Path.Combine(Directory, "rules");
        System.IO.Directory.CreateDirectory(RulesDirectory);
        foreach (var file in System.IO.Directory.GetFiles(RepositoryPaths.Rules, "*.yml"))
        {
            File.Copy(file, System.IO.Path.Combine(RulesDirectory, System.IO.Path.GetFileName(file)));
        }
        EveLog = System.IO.Path.Combine(Directory, "eve.json");
        LearnedPoolsFile = System.IO.Path.Combine(Directory, "state", "learned-pools.tsv");
        Settings = new Dictionary<string, object>
        {
            ["Interfaces"] = new[] { "lo" },
            ["RulesDirectory"] = RulesDirectory,
            ["EveLog"] = EveLog,
            ["LearnedPoolsFile"] = LearnedPoolsFile,
            // Off: these tests read the EVE file line by line, and never the machine's /var/lib.
            ["EvidenceDirectory"] = "",
            ["MetricsPort"] = FreeTcpPort(),
        };
    }

    public string Directory { get; }
    public string RulesDirectory { get; }
    public string EveLog { get; }
    public string LearnedPoolsFile { get; }
    public Dictionary<string, object> Settings { get; }

    /// <summary>Writes the settings as section PoolDetector and returns the file's path.</summary>
    public string Write()
    {
        var path = System.IO.Path.Combine(Directory, "pooldetector.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["PoolDetector"] = Settings }));
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    public static int FreeTcpPort() => Wait.FreeTcpPort();
}

/// <summary><c>dotnet pooldetector.dll run</c> as a child process, output collected as it comes.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "pooldetector.dll");

    private readonly ChildProcess _process;

    private DaemonProcess(ChildProcess process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stderr => _process.Stderr;

    public bool HasExited => _process.HasExited;

    public static DaemonProcess Start(params string[] args) => new(ChildProcess.Start("dotnet", [Program, .. args]));

    /// <summary>
    /// The daemon inside network namespace <paramref name="netns"/> (<c>ip netns exec</c>, which
    /// execs dotnet: the process is the daemon itself, and ip also gives it that namespace's /sys).
    /// </summary>
    public static DaemonProcess StartInNamespace(string netns, params string[] args) =>
        new(ChildProcess.Start("ip", ["netns", "exec", netns, "dotnet", Program, .. args]));

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout) => Wait.Until(condition, timeout);

    public bool WaitForLog(string text, TimeSpan timeout) => Wait.Until(() => Stderr.Contains(text, StringComparison.Ordinal), timeout);

    public void Signal(string signal) => _process.Signal(signal);

    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>Kills the daemon if it still runs; safe to call twice.</summary>
    public void Dispose() => _process.Dispose();
}
