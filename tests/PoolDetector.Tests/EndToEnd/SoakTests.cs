using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PoolDetector.Testing;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// Issue 8, soak: the built daemon capturing on a veth pair in a test namespace while
/// tcpreplay plays a mix of the project's captures onto it, pass after pass, for a bounded
/// time: <see cref="DefaultSeconds"/> s, or <c>POOLDETECTOR_SOAK_SECONDS</c> for long local runs
/// (e.g. 3600). The process is sampled every few seconds: RSS, threads (/proc/PID/status),
/// open descriptors (/proc/PID/fd) and /metrics.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    public const int DefaultSeconds = 90;
    public const string SecondsVariable = "POOLDETECTOR_SOAK_SECONDS";

    /// <summary>
    /// RSS may rise this much after warm-up: the GC grows its budgets before it collects, and
    /// tiered JIT settles. Measured in the default 90 s run: +32 MB over the 60 s after warm-up
    /// (550 passes, 3,850 alerts), still rising at about 0.5 MB/s when the run ended, so 90 s
    /// cannot tell a budget still filling from a slow leak; a long run
    /// (<see cref="SecondsVariable"/>=1800) holds the same bound and fails if the rise goes on.
    /// </summary>
    private const long MaxRssGrowthBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Threads the .NET thread pool may add after warm-up: its hill climbing injects a worker
    /// when a 2-core machine shared with tcpreplay stalls one (measured: 19 → 20 in a 24 s run).
    /// A leak adds threads with passes, hundreds in a run, not two.
    /// </summary>
    private const int ThreadPoolSlack = 2;

    /// <summary>
    /// Descriptors a sample may catch open for a moment: the metrics server's side of the test's
    /// own scrape is still closing when /proc is read (seen once in CI: 168, then 169 in one
    /// sample of 28, then 168 again). A leak keeps what it opens, so the count must also come
    /// back to the warm-up figure once traffic stops.
    /// </summary>
    private const int TransientDescriptorSlack = 2;

    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Captures whose every flow opens with a SYN and closes with a FIN, so each pass starts
    /// new flows on the same 5-tuples (a SYN on a closed flow is a new connection) and each
    /// mining flow raises its alert again; a mid-session capture would land on last pass's flow.
    /// Not jsonrpc-clean.pcap: it was recorded on 127.0.0.1 like stratum-v1-npm.pcap, whose pool
    /// the daemon learns in the first pass, so from the second pass on its flows are rightly
    /// reported as contacts of a learned pool address.
    /// </summary>
    private static readonly string[] Mix =
    [
        "stratum-v1-npm.pcap",
        "stratum-v1-npm-ipv6.pcap",
        "xmrig-login-job-submit.pcap",
        "nicehash-ethereumstratum1.pcap",
        "stratum-line-split.pcap",
        "ethproxy.pcap",
        "getwork-http.pcap",
    ];

    /// <summary>
    /// Bounds, after a warm-up of a third of the run: RSS grows less than 64 MiB; open
    /// descriptors never above their warm-up maximum; every pass raises exactly the
    /// alerts analyze finds in the mix (the same set, pass after pass). Threads: at most 2 more
    /// than at warm-up, for the thread pool's own injection. On /metrics at every
    /// sample, captured never exceeds replayed and engine outcomes + queue drops never exceed
    /// captured; at the end, with the queue drained: packets replayed = captured + kernel and
    /// interface drops, and captured = decoded + every not-decoded outcome + queue drops.
    /// </summary>
    [EndToEndFact("ip", "tcpreplay")]
    public void Daemon_under_replayed_traffic_keeps_memory_handles_and_metrics_steady()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable(SecondsVariable), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : DefaultSeconds;
        var files = Mix.Select(f => Path.Combine(RepositoryPaths.Pcaps, f)).ToArray();
        var analyze = Cli.Cli.RunProcess(["analyze", "--format", "jsonl", .. files]);
        Assert.True(analyze.ExitCode == 1, $"analyze exit {analyze.ExitCode}: {analyze.Stderr}");
        var perPass = analyze.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Key).Order().ToList();
        Assert.NotEmpty(perPass);

        using var scratch = new Cli.TempDirectory();
        var replayable = files.Select(f => EthernetRewrite.Replayable(f, scratch.Path)).ToArray();
        using var netns = NetworkNamespace.Create();
        using var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns);
        var pid = daemon.ProcessId;
        Assert.Contains("pooldetector", File.ReadAllText($"/proc/{pid}/cmdline"), StringComparison.Ordinal);
        var alerts = new AlertTail(daemon.EveLog);

        var clock = Stopwatch.StartNew();
        var warmUp = TimeSpan.FromSeconds(seconds / 3.0);
        var samples = new List<Sample>();
        long replayed = 0;
        var passes = 0;
        var nextSample = TimeSpan.Zero;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            using (var replay = ChildProcess.Run(NetworkNamespace.IpBinary,
                netns.Wrap("tcpreplay", ["--intf1=" + netns.ReplayInterface, "--pps=2000", .. replayable]), TimeSpan.FromSeconds(30)))
            {
                Assert.True(replay.ExitCode == 0, replay.Describe());
                Assert.Contains("Failed packets:            0", replay.Stdout, StringComparison.Ordinal);
                replayed += SuccessfulPackets(replay.Stdout);
            }
            passes++;

            // This pass's alerts, and only those: each mining flow of the mix once more.
            List<string> fresh = [];
            Wait.Until(() => (fresh = [.. fresh, .. alerts.ReadNew()]).Count >= perPass.Count, AlertTimeout);
            Assert.True(perPass.SequenceEqual(fresh.Order()),
                $"pass {passes}: alerts {string.Join("; ", fresh.Order())}\nexpected {string.Join("; ", perPass)}\n{daemon.Describe()}");

            if (clock.Elapsed >= nextSample)
            {
                var sample = Sample.Take(pid, daemon.Metrics(), netns.CaptureInterface, clock.Elapsed, replayed);
                samples.Add(sample);
                output.WriteLine(sample.ToString());
                Assert.True(sample.Captured <= replayed, $"captured {sample.Captured} of {replayed} replayed");
                Assert.True(sample.Processed + sample.QueueDropped <= sample.Captured, $"engine saw more than was captured: {sample}");
                nextSample = clock.Elapsed + SampleEvery;
            }
        }

        // Traffic stops; the hand-off queue drains and the metrics settle on the identities.
        Sample last = null!;
        var settled = Wait.Until(() =>
        {
            last = Sample.Take(pid, daemon.Metrics(), netns.CaptureInterface, clock.Elapsed, replayed);
            return last.Captured + last.KernelDropped + last.InterfaceDropped == replayed && last.Processed + last.QueueDropped == last.Captured;
        }, AlertTimeout);
        output.WriteLine($"end: {last}; {passes} passes, {alerts.Count} alerts");
        Assert.True(settled, $"metrics never settled: replayed {replayed}, {last}\n{daemon.Metrics()}");
        Assert.Equal(passes * perPass.Count, alerts.Count);

        var baseline = samples.Where(x => x.At <= warmUp).ToList();
        var after = samples.Where(x => x.At > warmUp).Append(last).ToList();
        Assert.True(baseline.Count >= 2 && after.Count >= 2, $"too few samples: {baseline.Count} in warm-up, {after.Count} after");
        var rssGrowth = after.Max(x => x.RssBytes) - baseline[^1].RssBytes;
        output.WriteLine($"RSS growth after warm-up {rssGrowth:N0} B; fds {baseline.Max(x => x.Fds)} → max {after.Max(x => x.Fds)}; threads {baseline.Max(x => x.Threads)} → max {after.Max(x => x.Threads)}");
        Assert.True(rssGrowth < MaxRssGrowthBytes, $"RSS grew {rssGrowth:N0} B after warm-up, bound {MaxRssGrowthBytes:N0}");
        var fdHistory = string.Join(", ", samples.Append(last).Select(x => x.Fds));
        Assert.True(after.Max(x => x.Fds) <= baseline.Max(x => x.Fds) + TransientDescriptorSlack, $"open descriptors grew: {fdHistory}");
        var fdsAtRest = 0;
        Assert.True(Wait.Until(() => (fdsAtRest = Directory.GetFiles($"/proc/{pid}/fd").Length) <= baseline.Max(x => x.Fds), TimeSpan.FromSeconds(5)),
            $"open descriptors stayed at {fdsAtRest} after traffic stopped, warm-up {baseline.Max(x => x.Fds)}: {fdHistory}");
        Assert.True(after.Max(x => x.Threads) <= baseline.Max(x => x.Threads) + ThreadPoolSlack, $"threads grew: {string.Join(", ", samples.Select(x => x.Threads))}");
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
    }

    private static long SuccessfulPackets(string tcpreplayOutput)
    {
        var line = tcpreplayOutput.Split('\n').Single(l => l.Contains("Successful packets:", StringComparison.Ordinal));
        return long.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Who, where to, what: the identity of an alert, the same for analyze and the daemon.</summary>
    private static string Key(string eveLine)
    {
        using var json = JsonDocument.Parse(eveLine);
        var alert = json.RootElement;
        var mining = alert.GetProperty("mining");
        return string.Create(CultureInfo.InvariantCulture,
            $"{alert.GetProperty("src_ip").GetString()}:{alert.GetProperty("src_port").GetInt32()} -> " +
            $"{alert.GetProperty("dest_ip").GetString()}:{alert.GetProperty("dest_port").GetInt32()} " +
            $"{mining.GetProperty("category").GetString()}/{mining.GetProperty("dialect").GetString()}");
    }

    /// <summary>Reads the EVE file from where it stopped last time, so a long soak does not re-read thousands of alerts per pass.</summary>
    private sealed class AlertTail(string path)
    {
        private long _offset;
        private string _partial = "";

        public int Count { get; private set; }

        public List<string> ReadNew()
        {
            List<string> keys = [];
            if (!File.Exists(path))
            {
                return keys;
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(_offset, SeekOrigin.Begin);
            using var read = new MemoryStream();
            stream.CopyTo(read);
            // What was read, not the file's length now: the daemon may have written more since,
            // and skipping it lost an alert (seen once in a 5-minute soak). EVE lines are ASCII.
            _offset += read.Length;
            var text = _partial + Encoding.UTF8.GetString(read.GetBuffer(), 0, (int)read.Length);
            var lines = text.Split('\n');
            _partial = lines[^1];
            foreach (var line in lines[..^1])
            {
                if (line.Contains("\"event_type\":\"alert\"", StringComparison.Ordinal))
                {
                    keys.Add(Key(line));
                }
            }
            Count += keys.Count;
            return keys;
        }
    }

    private sealed record Sample(TimeSpan At, long RssBytes, int Threads, int Fds, double Captured, double Processed,
        double QueueDropped, double KernelDropped, double InterfaceDropped, long Replayed)
    {
        public static Sample Take(int pid, string metrics, string iface, TimeSpan at, long replayed)
        {
            long rss = 0;
            var threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);
                }
            }
            var fds = Directory.GetFiles($"/proc/{pid}/fd").Length;
            double Stage(string stage) => DaemonProcess.Samples(metrics, "pooldetector_packets_total", ("interface", iface), ("stage", stage)).Sum(x => x.Value);
            // Every outcome label: decoded, and each reason a frame did not decode.
            var processed = DaemonProcess.Samples(metrics, "pooldetector_engine_packets_total").Sum(x => x.Value);
            return new Sample(at, rss, threads, fds, Stage("captured"), processed, Stage("queue_dropped"), Stage("kernel_dropped"), Stage("interface_dropped"), replayed);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{At.TotalSeconds,6:F1} s: RSS {RssBytes / 1024} KiB, {Threads} threads, {Fds} fds; replayed {Replayed}, captured {Captured}, engine {Processed}, dropped queue {QueueDropped} kernel {KernelDropped} interface {InterfaceDropped}");
    }
}
