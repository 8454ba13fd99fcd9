using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Testing;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// A scratch configuration for the daemon: a temp folder with the JSON file, the EVE log, the
/// learned pools file (never the machine's /var/lib/pooldetector: tests must not share what
/// one daemon learned with the next), evidence captures off, metrics on a free 127.0.0.1 port,
/// and the rules: a copy (tests that change them) or the repository's own folder (with intel/).
/// </summary>
internal sealed class DaemonConfig : IDisposable
{
    /// <param name="copyRules">Copy rules/*.yml into the folder (true), or use rules/ in place (with its intel).</param>
    public DaemonConfig(bool copyRules = true, string prefix = "pooldetector-daemon-")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        RulesDirectory = RepositoryPaths.Rules;
        if (copyRules)
        {
            RulesDirectory = System.IO.Path.Combine(Directory, "rules");
            System.IO.Directory.CreateDirectory(RulesDirectory);
            foreach (var file in System.IO.Directory.GetFiles(RepositoryPaths.Rules, "*.yml"))
            {
                File.Copy(file, System.IO.Path.Combine(RulesDirectory, System.IO.Path.GetFileName(file)));
            }
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

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreeTcpPort() => Wait.FreeTcpPort();
}

/// <summary>
/// The built daemon as a process: <c>dotnet pooldetector.dll run --config FILE</c> (or another
/// pooldetector, such as the live benchmark's published one: this file is linked into
/// bench/PoolDetector.Bench), on the host or inside a test network namespace (<c>ip netns
/// exec</c>, which execs the program: the process is the daemon itself, and ip also gives it
/// that namespace's /sys), its output collected as it comes. <see cref="Start"/> writes its
/// configuration (one interface, optional BPF filter, EVE log in a temp folder, metrics on a
/// free 127.0.0.1 port), waits until it captures and /metrics answers, and on Dispose deletes
/// the folder; <see cref="Launch"/> runs a configuration the test owns and waits for nothing.
/// Dispose stops it with SIGTERM and kills whatever is left.
/// </summary>
internal sealed partial class DaemonProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly NetworkNamespace? _namespace;
    private readonly DaemonConfig? _ownConfig;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private bool _disposed;

    private DaemonProcess(ChildProcess process, NetworkNamespace? netns, DaemonConfig config, bool ownsConfig, string iface)
    {
        _process = process;
        _namespace = netns;
        _ownConfig = ownsConfig ? config : null;
        Directory = config.Directory;
        EveLog = config.EveLog;
        Interface = iface;
        MetricsPort = Convert.ToInt32(config.Settings["MetricsPort"], CultureInfo.InvariantCulture);
    }

    public int Id => _process.Id;

    public string Stderr => _process.Stderr;

    public string Stdout => _process.Stdout;

    public bool HasExited => _process.HasExited;

    public string Directory { get; }

    public string EveLog { get; }

    public string Interface { get; }

    public int MetricsPort { get; }

    /// <summary>host:port of /metrics, for a Prometheus on the host (not reachable from the host when in a namespace).</summary>
    public string MetricsTarget => "127.0.0.1:" + MetricsPort.ToString(CultureInfo.InvariantCulture);

    public string Describe() => _process.Describe();

    /// <summary>The daemon's PID (<c>ip netns exec</c> execs it in place), for /proc.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts the daemon capturing on <paramref name="iface"/> and waits until it captures and serves /metrics.</summary>
    /// <param name="extraSettings">More options of section PoolDetector, overriding these (evidence captures are off unless set here).</param>
    /// <param name="program">The daemon to run: a pooldetector.dll (through dotnet) or a published executable; default the build's beside the tests.</param>
    public static DaemonProcess Start(string iface, string? bpfFilter = null, NetworkNamespace? netns = null, int? metricsPort = null,
        IReadOnlyDictionary<string, object>? extraSettings = null, string? program = null)
    {
        var config = new DaemonConfig(copyRules: false, prefix: "pooldetector-e2e-");
        var options = config.Settings;
        options["Interfaces"] = new[] { iface };
        options["BpfFilter"] = bpfFilter ?? "";
        options["MetricsAddress"] = "127.0.0.1";
        options["MetricsPort"] = metricsPort ?? (netns is null ? options["MetricsPort"] : 9474); // a fresh namespace has every port free
        options["InterfaceRetrySeconds"] = 1;
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, object>())
        {
            options[key] = value;
        }
        DaemonProcess daemon;
        try
        {
            daemon = Launch(config, netns, program, ownsConfig: true);
        }
        catch
        {
            config.Dispose();
            throw;
        }
        try
        {
            if (!daemon.WaitForStart())
            {
                throw new InvalidOperationException("the daemon did not start capturing and serving /metrics:\n" + daemon.Describe());
            }
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>run --config</c> with <paramref name="config"/> written as it is now; returns at once
    /// (the test waits for what it needs). The configuration stays the caller's unless <paramref name="ownsConfig"/>.
    /// </summary>
    /// <param name="program">The daemon to run: a pooldetector.dll (through dotnet) or a published executable; default the build's beside the tests.</param>
    /// <param name="prefix">Programs and arguments the daemon runs under, inside the namespace (setpriv, say).</param>
    public static DaemonProcess Launch(DaemonConfig config, NetworkNamespace? netns = null, string? program = null, bool ownsConfig = false,
        IReadOnlyList<string>? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var file = config.Write();
        program ??= Path.Combine(AppContext.BaseDirectory, "pooldetector.dll");
        string[] command = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? [EndToEndPrerequisites.FindProgram("dotnet") ?? "dotnet", program, "run", "--config", file]
            : [Path.GetFullPath(program), "run", "--config", file];
        command = [.. prefix ?? [], .. command];
        var process = netns is null
            ? ChildProcess.Start(command[0], command[1..], config.Directory)
            : ChildProcess.Start(NetworkNamespace.IpBinary, netns.Wrap(command[0], command[1..]), config.Directory);
        var iface = config.Settings["Interfaces"] is string[] { Length: > 0 } interfaces ? interfaces[0] : "";
        return new DaemonProcess(process, netns, config, ownsConfig, iface);
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout) => Wait.Until(condition, timeout);

    /// <summary>Waits until <paramref name="text"/> is on the daemon's stderr (where it logs).</summary>
    public bool WaitForLog(string text, TimeSpan timeout) => Wait.Until(() => Stderr.Contains(text, StringComparison.Ordinal), timeout);

    /// <summary>Sends a signal (TERM, INT, HUP) to the daemon only.</summary>
    public void Signal(string signal) => _process.Signal(signal);

    /// <summary>The exit code, or null if it still runs after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>The EVE alert events written so far, parsed (not the evidence events that follow them).</summary>
    public List<JsonElement> Alerts() => [.. Events().Where(e => e.GetProperty("event_type").GetString() == "alert")];

    /// <summary>Every EVE event written so far, parsed.</summary>
    public List<JsonElement> Events()
    {
        if (!File.Exists(EveLog))
        {
            return [];
        }
        string text;
        using (var stream = new FileStream(EveLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }
        var events = new List<JsonElement>();
        // Only whole lines: the last one may be half written.
        var end = text.LastIndexOf('\n');
        foreach (var line in text[..(end + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var json = JsonDocument.Parse(line);
            events.Add(json.RootElement.Clone());
        }
        return events;
    }

    /// <summary>Waits until at least <paramref name="count"/> alerts are in the EVE file; returns them all.</summary>
    public List<JsonElement> WaitForAlerts(int count, TimeSpan timeout)
    {
        Wait.Until(() => Alerts().Count >= count, timeout);
        return Alerts();
    }

    /// <summary>The text of /metrics (inside the namespace through bash's /dev/tcp, bash being everywhere).</summary>
    public string Metrics() => Get("/metrics");

    /// <summary>The body of <paramref name="path"/> on the metrics listener (/metrics, /blocklist.txt, ...), which must answer 200.</summary>
    public string Get(string path)
    {
        if (_namespace is null)
        {
            return _http.GetStringAsync($"http://{MetricsTarget}{path}").GetAwaiter().GetResult();
        }
        var script = $"exec 3<>/dev/tcp/127.0.0.1/{MetricsPort.ToString(CultureInfo.InvariantCulture)} && " +
                     $"printf 'GET {path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && cat <&3";
        using var get = ChildProcess.Run(NetworkNamespace.IpBinary, _namespace.Wrap("bash", "-c", script), TimeSpan.FromSeconds(10));
        var response = get.Stdout;
        if (get.ExitCode != 0 || !response.StartsWith("HTTP/1.", StringComparison.Ordinal) || !response.Contains(" 200 ", StringComparison.Ordinal))
        {
            throw new HttpRequestException($"GET {path} in {_namespace.Name} failed:\n" + get.Describe());
        }
        var body = response.IndexOf("\n\n", StringComparison.Ordinal);
        return body < 0 ? "" : response[(body + 2)..];
    }

    /// <summary>
    /// The samples of one metric in Prometheus text format whose labels include
    /// <paramref name="labels"/>: label set text and value.
    /// </summary>
    public static List<(Dictionary<string, string> Labels, double Value)> Samples(string metricsText, string name, params (string Name, string Value)[] labels)
    {
        var samples = new List<(Dictionary<string, string>, double)>();
        foreach (var raw in metricsText.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var match = SampleLine().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
            {
                continue;
            }
            var set = new Dictionary<string, string>();
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                set[label.Groups[1].Value] = label.Groups[2].Value;
            }
            if (labels.All(l => set.TryGetValue(l.Name, out var v) && v == l.Value))
            {
                samples.Add((set, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }
        }
        return samples;
    }

    /// <summary>SIGTERM, then the exit code (null if it had not exited within <paramref name="timeout"/>).</summary>
    public int? Stop(TimeSpan timeout)
    {
        _process.Signal("TERM");
        return _process.WaitForExit(timeout);
    }

    /// <summary>Stops the daemon (SIGTERM, then kill) if it still runs; safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Signal("TERM");
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose(); // kills the tree if SIGTERM did not end it
        _ownConfig?.Dispose();
    }

    private bool WaitForStart()
    {
        return Wait.Until(() =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("the daemon exited at start:\n" + _process.Describe());
            }
            if (!_process.Stderr.Contains("Capturing on " + Interface, StringComparison.Ordinal) &&
                !_process.Stdout.Contains("Capturing on " + Interface, StringComparison.Ordinal))
            {
                return false;
            }
            try
            {
                return Metrics().Contains("pooldetector_", StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, StartTimeout);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
