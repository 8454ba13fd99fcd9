using System.Text;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Hosting;

namespace PoolDetector.Cli;

/// <summary>
/// <c>pooldetector intel export</c>: the daemon's learned pools as a pool list another sensor
/// drops into <c>rules/intel/</c>. The file is read and written again through
/// <see cref="LearnedPools"/> rather than copied, so what leaves is always well-formed: a
/// hand-edited or damaged line is reported as <c>FILE:LINE: problem</c> and left out.
/// </summary>
internal static class IntelExportRunner
{
    public static int Run(string state, string output, CliConsole console)
    {
        var full = Path.GetFullPath(state);
        if (Directory.Exists(full))
        {
            console.WriteError($"{state}: is a directory, not a learned pools file");
            return ExitCodes.InputError;
        }
        if (!File.Exists(full))
        {
            console.WriteError($"{state}: no such file: the daemon writes it (PoolDetector:LearnedPoolsFile) once it has learned a pool; name another with --state FILE");
            return ExitCodes.InputError;
        }
        var pools = new LearnedPools();
        var problems = new List<string>();
        try
        {
            using var reader = new StreamReader(full, Encoding.UTF8);
            pools.Load(reader, problems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteError($"{state}: cannot be read: {e.Message}");
            return ExitCodes.InputError;
        }
        for (var i = 0; i < problems.Count && i < LearnedPoolsStore.MaxProblemsListed; i++)
        {
            // Load's problems are "LINE: problem".
            console.Error.WriteLine($"{state}:{problems[i]}");
        }
        if (problems.Count > LearnedPoolsStore.MaxProblemsListed)
        {
            console.Error.WriteLine($"{state}: {problems.Count - LearnedPoolsStore.MaxProblemsListed} more bad lines not listed");
        }

        var text = LearnedPoolsStore.Snapshot(pools);
        if (output == "-")
        {
            console.Out.Write(text);
        }
        else
        {
            try
            {
                LearnedPoolsStore.WriteAtomically(output, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.WriteError($"--output {output}: cannot be written: {e.Message}");
                return ExitCodes.Usage;
            }
        }
        // Corrupt input: what could be read is still exported (DESIGN.md's exit code 3).
        return problems.Count > 0 ? ExitCodes.InputError : ExitCodes.Clean;
    }
}
