using PoolDetector.Testing;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// What the end-to-end tests need (root, programs, npm packages) and where programs are. A file
/// of its own, without xunit, so the live benchmark (bench/PoolDetector.Bench) links it too.
/// </summary>
internal static class EndToEndPrerequisites
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>The npm packages of pcaps/recording, installed by scripts/install-test-dependencies.sh.</summary>
    public static string RecordingDirectory => Path.Combine(RepositoryPaths.Pcaps, "recording");

    /// <summary>Why a test needing <paramref name="programs"/> is skipped here; null when it runs (always under CI).</summary>
    public static string? SkipReason(IEnumerable<string> programs, bool needsRoot)
    {
        var missing = Missing(programs, needsRoot);
        return missing.Count == 0 || InCi
            ? null
            : "end-to-end prerequisites missing: " + string.Join(", ", missing) + " (./test.sh installs them" + (needsRoot ? "; root is needed)" : ")");
    }

    public static List<string> Missing(IEnumerable<string> programs, bool needsRoot = true)
    {
        var missing = new List<string>();
        if (needsRoot && !IsRoot)
        {
            missing.Add("root");
        }
        foreach (var program in programs)
        {
            if (program == "stratum-npm")
            {
                if (!Directory.Exists(Path.Combine(RecordingDirectory, "node_modules", "stratum")) ||
                    !Directory.Exists(Path.Combine(RecordingDirectory, "node_modules", "stratum-client")))
                {
                    missing.Add("npm packages stratum and stratum-client in pcaps/recording/node_modules");
                }
            }
            else if (FindProgram(program) is null)
            {
                missing.Add(program);
            }
        }
        return missing;
    }

    /// <summary>The full path of <paramref name="program"/> on PATH (or /usr/sbin, /usr/bin), null when absent.</summary>
    public static string? FindProgram(string program)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static int GetEuid()
    {
        // /proc/self/status: "Uid:\treal\teffective\tsaved\tfs"
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                    return int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }
}
