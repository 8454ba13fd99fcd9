using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Daemon;

/// <summary>A scratch configuration for the daemon: a temp folder with the JSON file, the EVE log and a copy of the rules.</summary>
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
        Settings = new Dictionary<string, object>
        {
            ["Interfaces"] = new[] { "lo" },
            ["RulesDirectory"] = RulesDirectory,
            ["EveLog"] = EveLog,
            ["MetricsPort"] = FreeTcpPort(),
        };
    }

    public string Directory { get; }
    public string RulesDirectory { get; }
    public string EveLog { get; }
    public Dictionary<string, object> Settings { get; }

    /// <summary>Writes the settings as section PoolDetector and returns the file's path.</summary>
    public string Write()
    {
        var path = System.IO.Path.Combine(Directory, "pooldetector.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["PoolDetector"] = Settings }));
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary><c>dotnet pooldetector.dll run</c> as a child process, output collected as it comes.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();

    private DaemonProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static DaemonProcess Start(params string[] args) => Launch("dotnet", [], args);

    /// <summary>
    /// The daemon inside network namespace <paramref name="netns"/> (<c>ip netns exec</c>, which
    /// execs dotnet: the process is the daemon itself, and ip also gives it that namespace's /sys).
    /// </summary>
    public static DaemonProcess StartInNamespace(string netns, params string[] args) =>
        Launch("ip", ["netns", "exec", netns, "dotnet"], args);

    private static DaemonProcess Launch(string fileName, string[] prefix, string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pooldetector.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (daemon._stderr)
            {
                daemon._stderr.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (daemon._stdout)
            {
                daemon._stdout.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return daemon;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; false after <paramref name="timeout"/>.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(50);
        }
        return condition();
    }

    public bool WaitForLog(string text, TimeSpan timeout) => WaitUntil(() => Stderr.Contains(text, StringComparison.Ordinal), timeout);

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout) ? _process.ExitCode : null;

    public bool HasExited => _process.HasExited;

    private bool _disposed;

    /// <summary>Kills the daemon if it still runs; safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
