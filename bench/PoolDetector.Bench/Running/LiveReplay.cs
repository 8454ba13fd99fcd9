using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PoolDetector.Bench.Generation;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Bench.Running;

/// <summary>What the live mode runs: the capture, the daemon, the rates, and the daemon's settings beyond the benchmark's own.</summary>
internal sealed record LiveOptions(
    string Capture, string TruthPath, string PoolDetector, IReadOnlyList<ReplayRate> Rates, int Repeat, int BisectRounds,
    IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// <c>pooldetector-bench run --mode live</c>: the daemon (<c>pooldetector run</c>) captures on one
/// end of a veth pair while tcpreplay sends the capture into the other, both ends inside a network
/// namespace of the run's own (<c>pdbench-RANDOM</c>; the end-to-end tests' NetworkNamespace and
/// DaemonProcess, linked), so the replayed campus addresses never meet the host's stack. Each run
/// of each rate gets a daemon of its own: an empty flow table, detections not yet raised (a flow
/// is alerted once, and the second replay of the same flows into the same daemon would find them
/// still open), libpcap's counters from zero. After tcpreplay exits, /metrics is read until the
/// engine has taken every frame that was captured and nothing has changed for 1.5 s (libpcap's
/// counters are copied once a second); then the EVE alerts are matched to the truth file.
/// </summary>
internal static partial class LiveReplay
{
    public const string NamespacePrefix = "pdbench-";

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1.5);

    public static LiveResults Run(LiveOptions options, TextWriter progress)
    {
        var truth = GroundTruth.Read(options.TruthPath);
        var machine = MachineInfo.Describe();
        var capture = Path.GetFullPath(options.Capture);
        progress.WriteLine($"reading {options.Capture} once (page cache, packet count)...");
        var packets = CaptureFile.CountPackets(capture);
        var description = new CaptureDescription(options.Capture, new FileInfo(capture).Length, packets, truth.Count);
        var notes = new List<string>();
        foreach (var leftover in LiveCleanup.Leftovers(NamespacePrefix))
        {
            progress.WriteLine($"note: namespace {leftover} is left from an earlier run that was killed; remove it with: ip netns delete {leftover}");
        }

        var settings = DaemonSettings(options.Settings);
        var rates = new List<LiveRate>();
        using (var cleanup = new LiveCleanup(progress))
        {
            // GNU time's figures for tcpreplay go here; a signal's exit removes it too.
            var scratch = Directory.CreateTempSubdirectory(NamespacePrefix).FullName;
            cleanup.Own(new DeleteDirectory(scratch));
            var netns = NetworkNamespace.Create(NamespacePrefix);
            cleanup.Own(netns);
            progress.WriteLine($"namespace {netns.Name}: tcpreplay sends into {netns.ReplayInterface}, the daemon captures on {netns.CaptureInterface}");
            var run = new Runner(options, netns, cleanup, capture, packets, truth, settings, scratch, progress);

            foreach (var rate in options.Rates)
            {
                rates.Add(run.Rate(rate, "ladder"));
            }
            Bisect(rates, run, options.BisectRounds, progress);
        }

        var (highest, moreNotes) = HighestLossless(rates);
        notes.AddRange(moreNotes);
        var shown = settings.ToDictionary(pair => pair.Key, pair => Convert.ToString(pair.Value, CultureInfo.InvariantCulture) ?? "");
        return new LiveResults("live", DateTimeOffset.UtcNow, machine, description, options.Repeat, shown, rates, highest, notes);
    }

    /// <summary>
    /// The settings every run's daemon gets on top of DaemonProcess's (the namespace's interface,
    /// EVE log in a temporary folder, metrics on 127.0.0.1 in the namespace, evidence off): no
    /// learned pools file, so one run's learning never reaches the next; then the caller's
    /// <c>--setting KEY=VALUE</c>. Capture and hand-off sizes stay at their defaults unless set.
    /// </summary>
    private static Dictionary<string, object> DaemonSettings(IReadOnlyDictionary<string, string> extra)
    {
        var settings = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["LearnedPoolsFile"] = "",
            ["EvidenceDirectory"] = "",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>
    /// Between the highest constant rate without loss below the lowest one with loss (or zero)
    /// and that lowest one, halving the gap each round until it is within 5% (or 1,000 packets/s).
    /// </summary>
    private static void Bisect(List<LiveRate> rates, Runner run, int rounds, TextWriter progress)
    {
        for (var round = 1; round <= rounds; round++)
        {
            var paced = rates.Where(rate => rate.Constant && ReplayRateOf(rate) is not null).ToList();
            var lossy = paced.Where(rate => !rate.Lossless).Select(rate => ReplayRateOf(rate)!.Value).DefaultIfEmpty(long.MaxValue).Min();
            if (lossy == long.MaxValue)
            {
                return;
            }
            var lossless = paced.Where(rate => rate.Lossless && ReplayRateOf(rate) < lossy).Select(rate => ReplayRateOf(rate)!.Value).DefaultIfEmpty(0).Max();
            var middle = (long)Math.Round((lossless + lossy) / 2.0 / 1000) * 1000;
            if (lossy - lossless <= Math.Max(1000, lossless * 0.05) || middle <= lossless || middle >= lossy)
            {
                return;
            }
            progress.WriteLine($"bisect {round}/{rounds}: no loss at {lossless:N0} packets/s, loss at {lossy:N0}: trying {middle:N0}");
            rates.Add(run.Rate(ReplayRate.Pps(middle), "bisect"));
        }
    }

    private static long? ReplayRateOf(LiveRate rate) =>
        rate.TcpreplayOption.StartsWith("--pps=", StringComparison.Ordinal) ? long.Parse(rate.TcpreplayOption["--pps=".Length..], CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// The highest constant rate (by what tcpreplay reached) with no loss in any run, below the
    /// lowest rate reached that lost packets: "no loss at this rate and at every rate tried below it".
    /// </summary>
    internal static (LiveRate? Highest, List<string> Notes) HighestLossless(IReadOnlyList<LiveRate> rates)
    {
        var notes = new List<string>();
        var constant = rates.Where(rate => rate.Constant).ToList();
        var lowestLossy = constant.Where(rate => !rate.Lossless).Select(rate => rate.MedianSentPacketsPerSecond).DefaultIfEmpty(double.PositiveInfinity).Min();
        var highest = constant.Where(rate => rate.Lossless && rate.MedianSentPacketsPerSecond < lowestLossy).MaxBy(rate => rate.MedianSentPacketsPerSecond);
        foreach (var above in constant.Where(rate => rate.Lossless && rate.MedianSentPacketsPerSecond >= lowestLossy))
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{above.Rate} ({above.MedianSentPacketsPerSecond:N0} packets/s reached) lost nothing although a lower rate ({lowestLossy:N0}) lost packets: noise from other work, or loss that comes and goes at these rates"));
        }
        if (highest is null)
        {
            notes.Add("every constant rate tried lost packets: try lower ones (--rates)");
        }
        return (highest, notes);
    }

    private sealed class DeleteDirectory(string path) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Runs one rate (every repeat), each run with a daemon of its own.</summary>
    private sealed class Runner(
        LiveOptions options, NetworkNamespace netns, LiveCleanup cleanup, string capture, long packets,
        IReadOnlyList<MiningFlowTruth> truth, Dictionary<string, object> settings, string scratch, TextWriter progress)
    {
        public LiveRate Rate(ReplayRate rate, string step)
        {
            var runs = new List<LiveRun>();
            for (var i = 1; i <= options.Repeat; i++)
            {
                var run = Once(rate, i);
                runs.Add(run);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {rate.Label,-16} run {i}/{options.Repeat}: sent {run.SentPacketsPerSecond,9:N0} packets/s {run.SentMbps,7:F0} Mbit/s; " +
                    $"daemon {run.DaemonPacketsPerSecond,9:N0} packets/s; lost before libpcap {run.LostBeforeCapture:N0}, kernel {run.KernelDropped:N0}, " +
                    $"queue {run.QueueDropped:N0} ({run.LostFraction:P2}); mining {run.Mining.Found}/{run.Mining.Truth}; load {run.LoadAverageBefore:F2}"));
            }
            return new LiveRate(
                rate.Label,
                rate.TcpreplayArgument,
                step,
                runs,
                runs.TrueForAll(run => run.Lossless),
                OfflineComparison.Median(runs.Select(run => run.SentPacketsPerSecond)),
                OfflineComparison.Median(runs.Select(run => run.SentMbps)),
                OfflineComparison.Median(runs.Select(run => run.DaemonPacketsPerSecond)));
        }

        private LiveRun Once(ReplayRate rate, int number)
        {
            var load = MachineInfo.LoadAverage();
            var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns, extraSettings: settings, program: options.PoolDetector);
            cleanup.Own(daemon);
            try
            {
                var before = Counters.Read(daemon);
                // --preload-pcap: the file is read into memory before the clock starts, so the disk
                // (or the page cache) does not pace the sending.
                var replay = MeasuredProcess.Run(NetworkNamespace.IpBinary,
                    netns.Wrap("tcpreplay", "--intf1=" + netns.ReplayInterface, "--preload-pcap", rate.TcpreplayArgument, capture), scratch);
                if (replay.ExitCode != 0)
                {
                    throw new InvalidOperationException($"tcpreplay exited {replay.ExitCode}:\n{replay.Stdout}{replay.Stderr}");
                }
                var sent = Tcpreplay.Parse(replay.Stdout);

                var (after, drain) = Settle(daemon, before);
                var alerts = SettledAlerts(daemon);
                var mining = OfflineComparison.Match(truth, [.. alerts.Select(PoolDetectorAnalyze.FromAlert)]);
                var exit = daemon.Stop(TimeSpan.FromSeconds(20));

                // tcpreplay prints its time to 10 ms, its rate finer: the time from the rate.
                var sendSeconds = sent.PacketsPerSecond > 0 ? sent.Successful / sent.PacketsPerSecond : sent.Seconds;
                var daemonSeconds = sendSeconds + drain.TotalSeconds;
                var lost = sent.Successful - after.EngineProcessed;
                return new LiveRun(
                    number,
                    load,
                    sent.Successful,
                    sent.Failed,
                    sendSeconds,
                    sent.PacketsPerSecond,
                    sent.Mbps,
                    replay.CpuSeconds,
                    after.PcapReceived,
                    after.Captured,
                    after.KernelDropped,
                    after.InterfaceDropped,
                    after.QueueDropped,
                    after.EngineProcessed,
                    drain.TotalSeconds,
                    daemonSeconds > 0 ? after.EngineProcessed / daemonSeconds : 0,
                    after.CpuSeconds - before.CpuSeconds,
                    exit,
                    mining,
                    sent.Failed == 0 && sent.Successful == packets && lost <= 0 && after.KernelDropped == 0 && after.QueueDropped == 0 && after.InterfaceDropped == 0);
            }
            finally
            {
                cleanup.Release(daemon);
            }
        }

        /// <summary>
        /// Reads /metrics every 0.1 s from tcpreplay's exit until the engine has processed every
        /// frame captured and nothing has moved for <see cref="Quiet"/>. The drain time is that of
        /// the first read showing the engine's final count: an upper bound, to within a read.
        /// </summary>
        private (Counters Counters, TimeSpan Drain) Settle(DaemonProcess daemon, Counters beforeReplay)
        {
            var clock = Stopwatch.StartNew();
            var last = beforeReplay;
            var drain = TimeSpan.Zero;
            var lastChange = TimeSpan.Zero;
            while (clock.Elapsed < SettleTimeout)
            {
                var now = Counters.Read(daemon);
                if (now.EngineProcessed != last.EngineProcessed)
                {
                    drain = clock.Elapsed;
                }
                if (now with { CpuSeconds = 0 } != last with { CpuSeconds = 0 })
                {
                    lastChange = clock.Elapsed;
                }
                last = now;
                if (now.EngineProcessed == now.Captured - now.QueueDropped && clock.Elapsed - lastChange >= Quiet)
                {
                    return (now, drain);
                }
                Thread.Sleep(100);
            }
            progress.WriteLine($"note: the daemon's counters did not settle within {SettleTimeout.TotalSeconds:F0} s; taking them as they are");
            return (last, drain);
        }

        /// <summary>The EVE alerts once their count has not grown for a second (they are written after the verdict, off the packet thread).</summary>
        private static List<System.Text.Json.JsonElement> SettledAlerts(DaemonProcess daemon)
        {
            var alerts = daemon.Alerts();
            var clock = Stopwatch.StartNew();
            var stableSince = TimeSpan.Zero;
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && clock.Elapsed - stableSince < TimeSpan.FromSeconds(1))
            {
                Thread.Sleep(250);
                var now = daemon.Alerts();
                if (now.Count != alerts.Count)
                {
                    stableSince = clock.Elapsed;
                }
                alerts = now;
            }
            return alerts;
        }
    }

    /// <summary>The daemon's counters for the capture interface, and its CPU time.</summary>
    private sealed record Counters(long PcapReceived, long Captured, long KernelDropped, long InterfaceDropped, long QueueDropped, long EngineProcessed, double CpuSeconds)
    {
        public static Counters Read(DaemonProcess daemon)
        {
            var text = daemon.Metrics();
            double Sum(string name, params (string, string)[] labels) => DaemonProcess.Samples(text, name, labels).Sum(sample => sample.Value);
            long Stage(string stage) => (long)Sum("pooldetector_packets_total", ("interface", daemon.Interface), ("stage", stage));
            return new Counters(
                (long)Sum("pooldetector_pcap_received_packets_total", ("interface", daemon.Interface)),
                Stage("captured"),
                Stage("kernel_dropped"),
                Stage("interface_dropped"),
                Stage("queue_dropped"),
                (long)Sum("pooldetector_engine_packets_total"),
                Sum("process_cpu_seconds_total"));
        }
    }

    /// <summary>tcpreplay's summary: "Actual: N packets (B bytes) sent in S seconds", "Rated: ... Mbps, P pps", "Successful packets: N", "Failed packets: N".</summary>
    internal sealed partial record Tcpreplay(long Successful, long Failed, double Seconds, double Mbps, double PacketsPerSecond)
    {
        public static Tcpreplay Parse(string stdout)
        {
            var actual = ActualLine().Match(stdout);
            var rated = RatedLine().Match(stdout);
            var successful = SuccessfulLine().Match(stdout);
            var failed = FailedLine().Match(stdout);
            if (!actual.Success || !rated.Success || !successful.Success || !failed.Success)
            {
                throw new FormatException("tcpreplay's summary not understood:\n" + stdout);
            }
            return new Tcpreplay(
                long.Parse(successful.Groups[1].Value, CultureInfo.InvariantCulture),
                long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(actual.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(rated.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(rated.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        [GeneratedRegex(@"Actual: \d+ packets \(\d+ bytes\) sent in ([\d.]+) seconds")]
        private static partial Regex ActualLine();

        [GeneratedRegex(@"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps")]
        private static partial Regex RatedLine();

        [GeneratedRegex(@"Successful packets:\s+(\d+)")]
        private static partial Regex SuccessfulLine();

        [GeneratedRegex(@"Failed packets:\s+(\d+)")]
        private static partial Regex FailedLine();
    }
}
