using System.CommandLine;
using PoolDetector.Bench.Generation;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Bench.Running;

/// <summary>
/// <c>pooldetector-bench run</c>: <c>--mode offline</c> (<see cref="OfflineComparison"/>) has
/// the tools read the capture file; <c>--mode live</c> (<see cref="LiveReplay"/>) has tcpreplay
/// send it onto a veth pair at rising rates while the daemon captures, as root.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var capture = new Option<string>("--capture")
        {
            Description = "The capture to read (a pooldetector-bench generate output: its FILE.truth.csv holds its mining flows).",
            Required = true,
            HelpName = "FILE",
        };
        var truth = new Option<string?>("--truth")
        {
            Description = "The mining flows on the capture. Default: FILE.truth.csv beside the capture.",
            HelpName = "FILE",
        };
        var repeat = new Option<int?>("--repeat")
        {
            Description = $"Runs of each tool (offline, default {OfflineRepeat}; medians are reported), or of each rate (live, default {LiveRepeat}; a rate is without loss only if every run is).",
            HelpName = "R",
        };
        var pooldetector = new Option<string>("--pooldetector")
        {
            Description = "The pooldetector executable (published) or pooldetector.dll (a build, run through dotnet).",
            DefaultValueFactory = _ => Path.Combine("src", "PoolDetector", "bin", "Release", "net10.0", "pooldetector.dll"),
            HelpName = "DLL",
        };
        var results = new Option<string?>("--results")
        {
            Description = "Where to write the results as JSON. Default: results.json (offline) or results-live.json (live) beside the capture.",
            HelpName = "FILE",
        };
        var mode = new Option<string>("--mode")
        {
            Description = "offline: the tools read the capture file. live (root): tcpreplay sends it onto a veth pair in a network namespace, the daemon (pooldetector run) captures on the other end.",
            DefaultValueFactory = _ => "offline",
            HelpName = "offline|live",
        };
        mode.AcceptOnlyFromAmong("offline", "live");
        var rates = new Option<string>("--rates")
        {
            Description = "Live: the rates to replay at, in order: packets per second (50k, 120000), a multiple of the capture's own timing (1x), or top (tcpreplay --topspeed).",
            DefaultValueFactory = _ => ReplayRate.DefaultLadder,
            HelpName = "LIST",
        };
        var bisect = new Option<int>("--bisect")
        {
            Description = "Live: rounds of bisection between the highest rate without loss and the lowest with loss.",
            DefaultValueFactory = _ => 3,
            HelpName = "N",
        };
        var workers = new Option<int[]>("--workers")
        {
            Description = "Offline: also run pooldetector analyze --workers N, for each N given (repeatable), beside one engine.",
            HelpName = "N",
            AllowMultipleArgumentsPerToken = false,
        };
        var setting = new Option<string[]>("--setting")
        {
            Description = "Live: a daemon option of section PoolDetector for every run, KEY=VALUE (KernelBufferMiB=128); repeatable. Default: the daemon's defaults.",
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };

        var command = new Command("run",
            "Offline: run tcpdump, nDPI and pooldetector on the capture, one after another, and compare packets per second, time, memory and mining flows found. " +
            "Live (root): replay the capture at rising rates into the daemon on a veth pair and report the rate reached, the loss at each stage and the mining flows alerted.")
        {
            capture,
            truth,
            repeat,
            pooldetector,
            results,
            mode,
            rates,
            bisect,
            setting,
            workers,
        };
        command.SetAction(parse =>
        {
            var live = parse.GetValue(mode) == "live";
            var capturePath = parse.GetValue(capture)!;
            var truthPath = parse.GetValue(truth) ?? CampusCapture.TruthPath(capturePath);
            var assembly = parse.GetValue(pooldetector)!;
            var runs = parse.GetValue(repeat) ?? (live ? LiveRepeat : OfflineRepeat);
            foreach (var (what, path) in (ReadOnlySpan<(string, string)>)[("--capture", capturePath), ("--truth", truthPath), ("--pooldetector", assembly), ("GNU time", MeasuredProcess.GnuTime)])
            {
                if (!File.Exists(path))
                {
                    Console.Error.WriteLine($"pooldetector-bench: {what} {path}: no such file");
                    return 2;
                }
            }
            if (runs < 1)
            {
                Console.Error.WriteLine($"pooldetector-bench: --repeat {runs}: must be at least 1");
                return 2;
            }

            var workDirectory = Path.GetDirectoryName(Path.GetFullPath(capturePath))!;
            if (live)
            {
                return RunLive(capturePath, truthPath, assembly, runs, parse.GetValue(rates)!, parse.GetValue(bisect), parse.GetValue(setting) ?? [],
                    parse.GetValue(results) ?? Path.Combine(workDirectory, "results-live.json"));
            }
            Contender[] contenders = [new Tcpdump(), new Ndpi(), new PoolDetectorAnalyze(assembly),
                .. (parse.GetValue(workers) ?? []).Where(n => n > 1).Select(n => new PoolDetectorAnalyze(assembly, n))];
            var outcome = OfflineComparison.Run(capturePath, truthPath, runs, contenders, workDirectory, Console.Error);
            var resultsPath = parse.GetValue(results) ?? Path.Combine(workDirectory, "results.json");
            Report.WriteJson(outcome, resultsPath);
            Report.WriteTable(outcome, Console.Out);
            Console.Out.WriteLine($"results: {resultsPath}");
            return 0;
        });
        return command;
    }

    private const int OfflineRepeat = 3;
    private const int LiveRepeat = 2;

    private static int RunLive(string capturePath, string truthPath, string pooldetector, int repeat, string rateList, int bisectRounds, string[] settings, string resultsPath)
    {
        if (LiveArguments.Problem(EndToEndPrerequisites.IsRoot, rateList, bisectRounds, settings, out var rates, out var daemonSettings) is { } problem)
        {
            Console.Error.WriteLine("pooldetector-bench: " + problem);
            return 2;
        }
        var missing = EndToEndPrerequisites.Missing(["ip", "tcpreplay"], needsRoot: false);
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"pooldetector-bench: --mode live needs {string.Join(" and ", missing)} (apt-get install iproute2 tcpreplay; bench/run.sh --live installs them)");
            return 2;
        }
        if (CaptureFile.LinkType(capturePath) != CaptureFile.Ethernet)
        {
            Console.Error.WriteLine($"pooldetector-bench: {capturePath}: link type {CaptureFile.LinkType(capturePath)}, not Ethernet: a veth carries Ethernet frames only (pooldetector-bench generate writes Ethernet)");
            return 2;
        }
        try
        {
            var outcome = LiveReplay.Run(new LiveOptions(capturePath, truthPath, pooldetector, rates, repeat, bisectRounds, daemonSettings), Console.Error);
            Report.WriteJson(outcome, resultsPath);
            Report.WriteLiveTable(outcome, Console.Out);
            Console.Out.WriteLine($"results: {resultsPath}");
            return 0;
        }
        catch (Exception) when (LiveCleanup.Interrupted)
        {
            // A signal is cleaning up and will exit 130: what broke under it is its effect.
            Thread.Sleep(Timeout.Infinite);
            return 130;
        }
    }
}
