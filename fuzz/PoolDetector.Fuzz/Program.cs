using System.Runtime.InteropServices;
using PoolDetector.Fuzz.Targets;
using SharpFuzz;

namespace PoolDetector.Fuzz;

/// <summary>
/// The fuzz harness. `PoolDetector.Fuzz TARGET` runs under afl-fuzz (fuzz/run.sh starts it):
/// SharpFuzz's out-of-process fork server gives it one input at a time on stdin, and any
/// exception escaping the target is reported to afl-fuzz as a crash. `seed` writes a
/// target's starting corpus; `replay` runs saved inputs once each, for triage.
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: PoolDetector.Fuzz TARGET                        (under afl-fuzz: input on stdin)\n"
        + "       PoolDetector.Fuzz seed TARGET OUT-DIR MAX CAPTURE-DIR...\n"
        + "       PoolDetector.Fuzz replay TARGET FILE...\n";

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            return Fail(Usage + "targets: " + string.Join(", ", FuzzTargets.Names));
        }
        var rules = Environment.GetEnvironmentVariable("POOLDETECTOR_FUZZ_RULES") ?? Path.Combine(AppContext.BaseDirectory, "rules");
        switch (args[0])
        {
            case "seed" when args.Length >= 5 && FuzzTargets.IsTarget(args[1]) && int.TryParse(args[3], out var max):
                return Seed(args[1], args[2], max, args[4..], rules);
            case "replay" when args.Length >= 3 && FuzzTargets.IsTarget(args[1]):
                return Replay(args[1], args[2..], rules);
            case var target when args.Length == 1 && FuzzTargets.IsTarget(target):
                // Out of process: a stack overflow or a native crash in libpcap kills only the
                // child, which SharpFuzz restarts; afl-fuzz sees a crash and goes on. The rules
                // are loaded in the child, on its first input: loading runs instrumented code,
                // which needs the coverage map SharpFuzz attaches only there.
                FuzzTargets? targets = null;
                var crashLog = Environment.GetEnvironmentVariable("POOLDETECTOR_FUZZ_CRASH_LOG");
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    var input = ReadInput(stream);
                    try
                    {
                        (targets ??= new FuzzTargets(rules)).Run(target, input);
                    }
                    catch (Exception e) when (crashLog is not null && Logged(crashLog, input, e))
                    {
                        // Never caught: the filter logs and declines, so afl-fuzz still sees the crash.
                    }
                });
                return 0;
            default:
                return Fail(Usage + "targets: " + string.Join(", ", FuzzTargets.Names));
        }
    }

    /// <summary>
    /// Instrumented code records every branch in afl-fuzz's coverage map, which only exists
    /// under the fuzzer: seed and replay run the instrumented build too, so they give it a
    /// scratch map of the same size (SharpFuzz's, 64 KiB) first.
    /// </summary>
    private static unsafe void ScratchCoverageMap() =>
        SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);

    private static int Seed(string target, string outputDirectory, int max, string[] captureDirectories, string rules)
    {
        ScratchCoverageMap();
        Directory.CreateDirectory(outputDirectory);
        var seeds = CorpusSeeder.Seeds(target, CorpusSeeder.CaptureFiles(captureDirectories), rules, max);
        for (var i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(outputDirectory, $"seed-{i:D3}"), seeds[i]);
        }
        Console.WriteLine($"{target}: {seeds.Count} seeds in {outputDirectory}");
        return seeds.Count > 0 ? 0 : Fail($"{target}: no seeds (no captures or rules found)");
    }

    private static int Replay(string target, string[] files, string rules)
    {
        ScratchCoverageMap();
        var targets = new FuzzTargets(rules);
        var crashes = 0;
        foreach (var file in files)
        {
            try
            {
                targets.Run(target, File.ReadAllBytes(file));
                Console.WriteLine($"ok     {file}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"CRASH  {file}\n{e}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }

    /// <summary>
    /// afl-fuzz discards the target's output, so each exception is written to the crash log
    /// (its input's length and start, and the stack) where run.sh shows it. Returns false.
    /// </summary>
    private static bool Logged(string path, byte[] input, Exception e)
    {
        File.AppendAllText(path, $"--- {input.Length} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(64, input.Length)))}\n{e}\n");
        return false;
    }

    private static byte[] ReadInput(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
