using System.CommandLine;
using System.Diagnostics;
using PoolDetector.Bench.Generation;
using PoolDetector.Bench.Running;

namespace PoolDetector.Bench;

/// <summary><c>pooldetector-bench generate</c> writes the campus capture; <c>pooldetector-bench run</c> compares the tools on it.</summary>
internal static class BenchCli
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("PoolDetector's throughput benchmark: a campus-like capture, and pooldetector against tcpdump and nDPI on it.");
        root.Subcommands.Add(CreateGenerateCommand());
        root.Subcommands.Add(CreateRunCommand());
        return root.Parse(args).Invoke();
    }

    private static Command CreateGenerateCommand()
    {
        var packets = new Option<long>("--packets")
        {
            Description = $"Frames in the capture (at least {CampusCaptureOptions.MinimumPackets:N0}).",
            DefaultValueFactory = _ => CampusCaptureOptions.DefaultPackets,
            HelpName = "N",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of every random choice: the same seed and --packets give the same bytes.",
            DefaultValueFactory = _ => CampusCaptureOptions.DefaultSeed,
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The pcap to write; its mining flows go beside it, FILE.truth.csv for FILE.pcap.",
            Required = true,
            HelpName = "FILE",
        };
        var command = new Command("generate", "Write a campus-like capture (web over TLS and HTTP, DNS, a few dozen miners) as a classic pcap, and its mining flows as CSV.")
        {
            packets,
            seed,
            output,
        };
        command.SetAction(parse =>
        {
            var options = new CampusCaptureOptions(parse.GetValue(packets), parse.GetValue(seed));
            if (options.Packets < CampusCaptureOptions.MinimumPackets)
            {
                Console.Error.WriteLine($"pooldetector-bench: --packets {options.Packets}: at least {CampusCaptureOptions.MinimumPackets} are needed for every miner's first share");
                return 2;
            }
            var path = parse.GetValue(output)!;
            var stopwatch = Stopwatch.StartNew();
            var summary = CampusCapture.WriteFile(options, path);
            Console.WriteLine(
                $"{path}: {summary.Packets:N0} packets, {summary.Bytes / 1e6:F0} MB, {(summary.LastPacket - summary.FirstPacket).TotalSeconds:F1} s of traffic, " +
                $"{summary.Conversations:N0} background conversations ({summary.ConcurrentConversations:N0} at a time), " +
                $"{summary.MiningFlows.Count} mining flows in {CampusCapture.TruthPath(path)}; written in {stopwatch.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static Command CreateRunCommand() => RunCommand.Create();
}
