using PoolDetector.Bench.Generation;

namespace PoolDetector.Bench.Running;

/// <summary>
/// The tools one after another on the same capture file, in the same run: round after round
/// (tcpdump, nDPI, pooldetector, then again), so a burst of other work on the machine falls on
/// one round of every tool rather than on all runs of one; medians over the rounds. The file is
/// read once before anything is timed, so every run finds it in the page cache.
/// </summary>
internal static class OfflineComparison
{
    public static BenchmarkResults Run(string capture, string truthPath, int repeat, IReadOnlyList<Contender> contenders, string workDirectory, TextWriter progress)
    {
        var truth = GroundTruth.Read(truthPath);
        var machine = MachineInfo.Describe();
        progress.WriteLine($"reading {capture} once (page cache, packet count)...");
        var packets = CaptureFile.CountPackets(capture);
        var description = new CaptureDescription(capture, new FileInfo(capture).Length, packets, truth.Count);

        var runs = contenders.Select(_ => new List<Measurement>()).ToArray();
        var loads = contenders.Select(_ => new List<double>()).ToArray();
        for (var round = 1; round <= repeat; round++)
        {
            for (var i = 0; i < contenders.Count; i++)
            {
                var contender = contenders[i];
                var (program, arguments) = contender.Command(capture, workDirectory);
                loads[i].Add(MachineInfo.LoadAverage());
                var run = MeasuredProcess.Run(program, arguments, workDirectory);
                if (!contender.Succeeded(run.ExitCode))
                {
                    throw new InvalidOperationException($"{contender.Name} exited {run.ExitCode}: {program} {string.Join(' ', arguments)}\n{run.Stderr}");
                }
                runs[i].Add(run);
                progress.WriteLine($"  round {round}/{repeat} {contender.Name,-12} {run.WallSeconds,7:F2} s wall {run.CpuSeconds,7:F2} s CPU {run.MaxRssKiB / 1024.0,7:F0} MiB");
            }
        }

        var results = new List<ContenderResult>();
        for (var i = 0; i < contenders.Count; i++)
        {
            var contender = contenders[i];
            var (program, arguments) = contender.Command(capture, workDirectory);
            var measured = runs[i];
            var wall = Median(measured.Select(r => r.WallSeconds));
            var last = measured[^1];
            MiningMatch? mining = null;
            if (contender.Detects)
            {
                progress.WriteLine($"matching {contender.Name}'s mining flows against {truthPath}...");
                mining = Match(truth, contender.Flows(last, capture, workDirectory));
            }
            results.Add(new ContenderResult(
                contender.Name,
                contender.Role,
                program + " " + string.Join(' ', arguments),
                measured.Select((r, n) => new RunFigures(r.WallSeconds, r.UserSeconds, r.SystemSeconds, r.CpuSeconds, r.MaxRssKiB, r.ExitCode, loads[i][n])).ToList(),
                wall,
                measured.Min(r => r.WallSeconds),
                measured.Max(r => r.WallSeconds),
                Median(measured.Select(r => r.CpuSeconds)),
                Median(measured.Select(r => r.MaxRssKiB / 1024.0)),
                packets / wall,
                mining,
                contender is Ndpi ? Ndpi.SummaryMiningFlows(last.Stdout) : null,
                contender is PoolDetectorAnalyze ? MedianStats(measured.Select(r => PoolDetectorAnalyze.Stats(r.Stderr))) : null));
        }

        var pooldetector = results.Find(r => r.Name == "pooldetector");
        var ndpi = results.Find(r => r.Name == "nDPI");
        var tcpdump = results.Find(r => r.Name == "tcpdump");
        var ratios = pooldetector is null || ndpi is null || tcpdump is null
            ? null
            : new Ratios(
                pooldetector.PacketsPerSecond / ndpi.PacketsPerSecond,
                pooldetector.MedianWallSeconds / tcpdump.MedianWallSeconds,
                ndpi.MedianCpuSeconds / pooldetector.MedianCpuSeconds,
                pooldetector.MedianCpuSeconds / tcpdump.MedianCpuSeconds);
        return new BenchmarkResults("offline", DateTimeOffset.UtcNow, machine, description, repeat, results, ratios);
    }

    /// <summary>A tool's flows against the generator's mining flows (the live mode matches the daemon's alerts with it too).</summary>
    internal static MiningMatch Match(IReadOnlyList<MiningFlowTruth> truth, IReadOnlyList<ReportedFlow> reported)
    {
        var mining = new Dictionary<FlowEndpoints, ReportedFlow>();
        var others = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var flow in reported)
        {
            if (flow.Category == "mining")
            {
                mining[flow.Endpoints] = flow;
            }
            else
            {
                others[flow.Category] = others.GetValueOrDefault(flow.Category) + 1;
            }
        }

        var found = 0;
        var dialectAgrees = 0;
        var missed = new List<string>();
        var expected = new HashSet<FlowEndpoints>();
        foreach (var flow in truth)
        {
            var endpoints = FlowEndpoints.Of(flow.ClientIp, flow.ClientPort.ToString(), flow.ServerIp, flow.ServerPort.ToString());
            expected.Add(endpoints);
            if (mining.TryGetValue(endpoints, out var hit))
            {
                found++;
                dialectAgrees += hit.Dialect == flow.Dialect ? 1 : 0;
            }
            else
            {
                missed.Add($"{endpoints} {flow.Dialect}");
            }
        }
        var extra = mining.Keys.Where(endpoints => !expected.Contains(endpoints)).Select(endpoints => endpoints.ToString()).Order(StringComparer.Ordinal).ToList();
        var reportsDialects = reported.Any(flow => flow.Dialect is not null);
        return new MiningMatch(truth.Count, found, reportsDialects ? dialectAgrees : null, extra.Count, missed, extra, others);
    }

    private static Dictionary<string, double> MedianStats(IEnumerable<IReadOnlyDictionary<string, double>> runs)
    {
        var all = runs.ToList();
        return all.SelectMany(r => r.Keys).Distinct().ToDictionary(key => key, key => Median(all.Where(r => r.ContainsKey(key)).Select(r => r[key])));
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
