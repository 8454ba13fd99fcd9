using System.CommandLine;
using PoolDetector.Bench.Generation;

namespace PoolDetector.Bench.Running;

/// <summary>
/// <c>pooldetector-bench run</c>. Only the offline comparison exists; <c>--mode live</c> is
/// reserved for the daemon on a veth pair in a network namespace, fed by
/// <c>tcpreplay --topspeed</c>: it will add its own runner beside <see cref="OfflineComparison"/>
/// producing the same <see cref="BenchmarkResults"/>, so the table and JSON stay as they are.
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
        var repeat = new Option<int>("--repeat")
        {
            Description = "Runs of each tool; the medians are reported.",
            DefaultValueFactory = _ => 3,
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
            Description = "Where to write the results as JSON. Default: results.json beside the capture.",
            HelpName = "FILE",
        };
        var mode = new Option<string>("--mode")
        {
            Description = "offline: the tools read the capture file. live (not built yet): the daemon captures it replayed onto a veth pair.",
            DefaultValueFactory = _ => "offline",
            HelpName = "offline|live",
        };
        mode.AcceptOnlyFromAmong("offline", "live");

        var command = new Command("run", "Run tcpdump, nDPI and pooldetector on the capture, one after another, and compare packets per second, time, memory and mining flows found.")
        {
            capture,
            truth,
            repeat,
            pooldetector,
            results,
            mode,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(mode) == "live")
            {
                Console.Error.WriteLine("pooldetector-bench: --mode live is not built yet (see bench/README.md)");
                return 2;
            }
            var capturePath = parse.GetValue(capture)!;
            var truthPath = parse.GetValue(truth) ?? CampusCapture.TruthPath(capturePath);
            var assembly = parse.GetValue(pooldetector)!;
            var runs = parse.GetValue(repeat);
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
            Contender[] contenders = [new Tcpdump(), new Ndpi(), new PoolDetectorAnalyze(assembly)];
            var outcome = OfflineComparison.Run(capturePath, truthPath, runs, contenders, workDirectory, Console.Error);
            var resultsPath = parse.GetValue(results) ?? Path.Combine(workDirectory, "results.json");
            Report.WriteJson(outcome, resultsPath);
            Report.WriteTable(outcome, Console.Out);
            Console.Out.WriteLine($"results: {resultsPath}");
            return 0;
        });
        return command;
    }
}
