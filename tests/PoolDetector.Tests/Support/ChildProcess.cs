using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PoolDetector.Tests.Support;

/// <summary>
/// A program the test started: stdout and stderr collected as they come, bounded waits,
/// and on Dispose the whole process tree killed (by this process's id, nothing else).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _display;
    private bool _disposed;

    private ChildProcess(Process process, string display)
    {
        _process = process;
        _display = display;
    }

    public int Id => _process.Id;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    public bool HasExited => _process.HasExited;

    /// <summary>The command line and everything it printed, for failure messages.</summary>
    public string Describe() =>
        $"$ {_display}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}" +
        (_process.HasExited ? $"--- exit {_process.ExitCode.ToString(CultureInfo.InvariantCulture)}\n" : "--- still running\n");

    public static ChildProcess Start(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, file + " " + string.Join(' ', start.ArgumentList));
        process.OutputDataReceived += (_, e) => Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(child._stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs to completion within <paramref name="timeout"/>; killed (and a TimeoutException) beyond it.</summary>
    public static ChildProcess Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var child = Start(file, args);
        if (child.WaitForExit(timeout) is null)
        {
            var description = child.Describe();
            child.Dispose();
            throw new TimeoutException($"did not finish within {timeout.TotalSeconds} s:\n{description}");
        }
        return child;
    }

    /// <summary>The exit code, or null if still running after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }
        _process.WaitForExit(); // drains the asynchronous stdout/stderr readers
        return _process.ExitCode;
    }

    public int ExitCode => _process.ExitCode;

    public bool WaitForOutput(string text, TimeSpan timeout) =>
        Wait.Until(() => Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal), timeout);

    /// <summary>Sends a signal (TERM, INT, HUP) to this process only.</summary>
    public void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    /// <summary>Kills the process tree if it still runs; safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }
        _process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; false after <paramref name="timeout"/>.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout)
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

    /// <summary>A TCP port nobody listens on now on 127.0.0.1 (the kernel's choice).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
