using System.Globalization;
using System.Runtime.InteropServices;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Bench.Running;

/// <summary>
/// What the live mode leaves on the machine while it runs (its network namespace, the daemon
/// inside it, the daemon's temporary folder), removed on every way out: a normal end or an
/// exception (<see cref="Dispose"/>, from a using), and Ctrl-C, SIGTERM or SIGHUP, which would
/// otherwise end the process before any finally block runs. On a signal the process exits 130
/// once everything is gone.
/// </summary>
internal sealed class LiveCleanup : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly TextWriter _log;
    private readonly List<IDisposable> _owned = [];
    private readonly PosixSignalRegistration[] _signals;
    private NetworkNamespace? _namespace;

    public LiveCleanup(TextWriter log)
    {
        _log = log;
        _signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(signal => PosixSignalRegistration.Create(signal, OnSignal))];
    }

    /// <summary>Set once a signal started the cleanup: the main thread's errors from then on are its effects, not failures.</summary>
    public static bool Interrupted { get; private set; }

    /// <summary>The namespace, removed last, with any process still inside it.</summary>
    public void Own(NetworkNamespace netns)
    {
        lock (_lock)
        {
            _namespace = netns;
        }
    }

    /// <summary>Something to dispose before the namespace goes (the daemon of the run in progress).</summary>
    public void Own(IDisposable resource)
    {
        lock (_lock)
        {
            _owned.Add(resource);
        }
    }

    /// <summary>Disposes <paramref name="resource"/> now, on the normal path.</summary>
    public void Release(IDisposable resource)
    {
        lock (_lock)
        {
            _owned.Remove(resource);
        }
        resource.Dispose();
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
        Clean();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The daemon and tcpreplay got a terminal's SIGINT too; a SIGTERM sent to this process alone did not reach them.
        context.Cancel = true;
        Interrupted = true;
        _log.WriteLine($"pooldetector-bench: {context.Signal}: stopping the daemon and removing {_namespace?.Name ?? "the namespace"}");
        Clean();
        Environment.Exit(130);
    }

    private void Clean()
    {
        lock (_lock)
        {
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                _owned[i].Dispose();
            }
            _owned.Clear();
            if (_namespace is { } netns)
            {
                KillProcessesIn(netns);
                netns.Dispose();
                _namespace = null;
            }
        }
    }

    /// <summary>Any process still in the namespace is one this run started there (tcpreplay, a daemon being started): killed by its id, so deleting the namespace frees it.</summary>
    private static void KillProcessesIn(NetworkNamespace netns)
    {
        try
        {
            using var pids = ChildProcess.Run(NetworkNamespace.IpBinary, ["netns", "pids", netns.Name], CommandTimeout);
            foreach (var line in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    try
                    {
                        using var process = System.Diagnostics.Process.GetProcessById(pid);
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(5000);
                    }
                    catch (ArgumentException)
                    {
                        // gone already
                    }
                    catch (InvalidOperationException)
                    {
                        // exited between the listing and the kill
                    }
                }
            }
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Namespaces of earlier runs that were killed before they could clean up (SIGKILL, a crash).</summary>
    public static IReadOnlyList<string> Leftovers(string prefix)
    {
        using var list = ChildProcess.Run(NetworkNamespace.IpBinary, ["netns", "list"], CommandTimeout);
        return [.. list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))];
    }
}
