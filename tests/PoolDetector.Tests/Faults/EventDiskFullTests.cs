using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Tests.Daemon;
using PoolDetector.Tests.EndToEnd;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Issue 8, faults: the event disk fills. The EVE file and the evidence directory live on a
/// 1 MiB tmpfs the test mounts; the daemon captures real Stratum sessions on loopback. With the
/// disk filled it must keep running and detecting (the detections metric rises by every
/// session), say so once in the log (not once per event), hold the events it could not write,
/// and, once there is room again, write them, in order, before the next ones: no alert lost,
/// none dropped, and every line of the file whole JSON.
/// Bound: each step within 10 s; the whole test about 15 s.
/// </summary>
public sealed class EventDiskFullTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);
    private const int SessionsWhileFull = 6;

    [EndToEndFact("mount", "umount")]
    public void Disk_full_keeps_detecting_logs_once_holds_the_events_and_writes_them_whole_after()
    {
        var clock = Stopwatch.StartNew();
        using var config = new DaemonConfig();
        using var disk = Tmpfs.Mount(Path.Combine(config.Directory, "disk"), sizeKiB: 1024);
        using var mining = new LoopbackMining(config);
        var eve = Path.Combine(disk.Path, "eve.json");
        config.Settings["EveLog"] = eve;
        config.Settings["EvidenceDirectory"] = Path.Combine(disk.Path, "evidence");
        // A flow's capture is finished when the flow ends (FIN), not half a minute later.
        config.Settings["EvidenceFollowSeconds"] = 1;
        using var daemon = DaemonProcess.Launch(config);
        Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);

        // 1. Room on the disk: an alert, its evidence event.
        var first = mining.Mine();
        Assert.True(Wait(() => Events(eve).Any(e => Is(e, "evidence", first))), "no evidence event with room on the disk:\n" + daemon.Stderr);
        Assert.Equal(1, mining.MiningDetections());

        // 2. The disk full: sessions go on being detected; their events are held, none dropped.
        var filler = disk.Fill();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: disk full ({new FileInfo(filler).Length} bytes of filler), eve.json {new FileInfo(eve).Length} bytes");
        var whileFull = new List<int>();
        for (var i = 0; i < SessionsWhileFull; i++)
        {
            whileFull.Add(mining.Mine());
        }
        Assert.True(Wait(() => mining.MiningDetections() == 1 + SessionsWhileFull),
            $"detections did not go on with the disk full: {mining.MiningDetections()}\n{daemon.Stderr}");
        Assert.True(daemon.WaitForLog("Cannot write the alert file", EventTimeout), "the outage was not logged:\n" + daemon.Stderr);
        Assert.True(Wait(() => mining.Scrape()["pooldetector_evidence_files_total{result=\"error\"}"] > 0), "no evidence failure counted:\n" + daemon.Stderr);
        Assert.False(daemon.HasExited, "the daemon exited on a full disk:\n" + daemon.Stderr);
        Assert.Equal(0, mining.Scrape()["pooldetector_eve_events_dropped_total{output=\"file\"}"]);
        // (The first line or two may still fit the file's last page: the outage log says when one did not.)
        Assert.True(whileFull.Count(port => Events(eve).Any(e => Is(e, "alert", port))) < SessionsWhileFull, "every alert was written with the disk full:\n" + daemon.Stderr);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {SessionsWhileFull} sessions detected with the disk full, their events held");
        // Every line written so far is whole, short writes at the disk's edge included.
        AssertWholeLines(eve);

        // 3. Room again: the next alerts are written whole, and the log says the outage ended.
        File.Delete(filler);
        var after = new[] { mining.Mine(), mining.Mine() };
        Assert.True(Wait(() => after.All(port => Events(eve).Any(e => Is(e, "alert", port)))), "no alert after the disk was freed:\n" + daemon.Stderr);
        Assert.True(Wait(() => after.All(port => Events(eve).Any(e => Is(e, "evidence", port)))), "no evidence after the disk was freed:\n" + daemon.Stderr);
        AssertWholeLines(eve);
        Assert.True(daemon.WaitForLog("Writing alerts to " + eve + " again", EventTimeout), "the end of the outage was not logged:\n" + daemon.Stderr);
        // Nothing lost: every session's alert is in the file once, in the order they were mined.
        var alerts = Events(eve).Where(e => e.GetProperty("event_type").GetString() == "alert").Select(e => e.GetProperty("src_port").GetInt32()).ToList();
        Assert.Equal([first, .. whileFull, .. after], alerts);
        Assert.Equal(0, mining.Scrape()["pooldetector_eve_events_dropped_total{output=\"file\"}"]);
        Assert.True(daemon.WaitForLog("Evidence captures are written again", EventTimeout), "evidence recovery not logged:\n" + daemon.Stderr);
        Assert.Equal(1 + SessionsWhileFull + 2, mining.MiningDetections());

        // Once per outage, for the EVE file and for the evidence, not once per event.
        Assert.Equal(1, Regex.Count(daemon.Stderr, "Cannot write the alert file"));
        Assert.Contains("No space left on device", daemon.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Regex.Count(daemon.Stderr, @"Evidence \S+ could not be written: "));
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: recovered, stopped");
    }

    private static bool Wait(Func<bool> condition) => DaemonProcess.WaitUntil(condition, EventTimeout);

    private static bool Is(JsonElement e, string type, int minerPort) =>
        e.GetProperty("event_type").GetString() == type && e.GetProperty("src_port").GetInt32() == minerPort;

    /// <summary>The file's events; fails on a line that is not JSON or a file not ending in a newline.</summary>
    private static List<JsonElement> Events(string path)
    {
        var text = File.ReadAllText(path);
        var events = new List<JsonElement>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                events.Add(json.RootElement.Clone());
            }
            catch (JsonException e)
            {
                Assert.Fail($"a torn line in {path} ({e.Message}):\n{line}");
            }
        }
        return events;
    }

    private static void AssertWholeLines(string path)
    {
        var text = File.ReadAllText(path);
        Assert.True(text.Length == 0 || text[^1] == '\n', "the file ends in half a line:\n" + text[Math.Max(0, text.Length - 300)..]);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("{", line, StringComparison.Ordinal));
        _ = Events(path);
    }
}
