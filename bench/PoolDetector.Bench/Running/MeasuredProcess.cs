using System.Diagnostics;
using System.Globalization;

namespace PoolDetector.Bench.Running;

/// <summary>One run of a tool: its times, peak memory, exit code and what it printed.</summary>
internal sealed record Measurement(double WallSeconds, double UserSeconds, double SystemSeconds, long MaxRssKiB, int ExitCode, string Stdout, string Stderr)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;
}

/// <summary>
/// Runs a tool under GNU time. Its CPU time and peak RSS come from the kernel's rusage of that
/// child, which GNU time collects with wait4 once the child has exited: what getrusage gives,
/// without racing .NET's own reaping of the children it starts (System.Diagnostics.Process
/// waits for them itself, and its TotalProcessorTime is gone once the process is). GNU time 1.9
/// reports %M in KiB (1.7's was four times too high). Wall time is this side's Stopwatch around
/// start and exit, finer than time's 10 ms %e; the extra process costs about a millisecond.
/// </summary>
internal static class MeasuredProcess
{
    public const string GnuTime = "/usr/bin/time";

    public static Measurement Run(string program, IReadOnlyList<string> arguments, string workDirectory)
    {
        var rusage = Path.Combine(workDirectory, "rusage.txt");
        var start = new ProcessStartInfo(GnuTime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        foreach (var argument in (string[])["-f", "%U %S %M", "-o", rusage, program, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{GnuTime} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wall = stopwatch.Elapsed.TotalSeconds;

        // A child killed by a signal makes time write "Command terminated by signal N" first;
        // the figures are on the last line either way.
        var figures = File.ReadAllLines(rusage).Last().Split(' ');
        return new Measurement(
            wall,
            double.Parse(figures[0], CultureInfo.InvariantCulture),
            double.Parse(figures[1], CultureInfo.InvariantCulture),
            long.Parse(figures[2], CultureInfo.InvariantCulture),
            process.ExitCode,
            stdout.Result,
            stderr.Result);
    }

    /// <summary>Runs a short command for what it prints (a version), unmeasured; null when it cannot be run.</summary>
    public static string? Output(string program, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return stdout.Result + stderr;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
