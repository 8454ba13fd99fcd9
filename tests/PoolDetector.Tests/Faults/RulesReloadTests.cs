using System.Diagnostics;
using System.Text.RegularExpressions;
using PoolDetector.Tests.Daemon;
using PoolDetector.Tests.EndToEnd;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Issue 8, faults: rules replaced while the daemon runs. Files replaced by atomic rename under
/// a stream of SIGHUPs never fail a reload; a broken file (bad YAML) fails the reload with its
/// file:line, the last good rules stay (rules_loaded unchanged, the failure counted) and still
/// detect; a fixed file reloads. A half-written file (a writer that truncates in place) fails
/// the same clean way, and reloads once complete. Real Stratum sessions on loopback; each
/// reload's result awaited through /metrics. Bound: each step within 10 s; the test about 15 s.
/// </summary>
public sealed partial class RulesReloadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);
    private const int Rounds = 25;
    /// <summary>A rules file of a kind that exists (agents), adding one rule, so its use shows in rules_loaded.</summary>
    private const string ExtraAgent = "kind: agents\nagents:\n  - {pattern: faultminer, software: FaultMiner, match: prefix, weight: 1}\n";

    [EndToEndFact]
    public void Rules_replaced_broken_and_half_written_while_running_keep_the_last_good_rules_and_detection()
    {
        var clock = Stopwatch.StartNew();
        using var config = new DaemonConfig();
        using var mining = new LoopbackMining(config);
        using var daemon = DaemonProcess.Launch(config);
        Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);
        Assert.True(DaemonProcess.WaitUntil(() => Loaded(mining) > 0, EventTimeout), "rules_loaded never set:\n" + daemon.Stderr);
        var rules = Loaded(mining);
        var detections = 0;
        void AssertStillDetects(string when)
        {
            mining.Mine();
            detections++;
            Assert.True(DaemonProcess.WaitUntil(() => mining.MiningDetections() == detections, EventTimeout),
                $"no detection {when}: {mining.MiningDetections()} of {detections}\n{daemon.Stderr}");
        }
        AssertStillDetects("at start");

        // 1. Every rule file replaced by atomic rename, again and again, with a SIGHUP each round:
        // a reload sees either the old file or the new one, whole, so none fails.
        var files = Directory.GetFiles(config.RulesDirectory, "*.yml");
        var originals = files.ToDictionary(f => f, File.ReadAllText);
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var file in files)
            {
                ReplaceAtomically(file, originals[file] + $"\n# revision {round}\n");
            }
            daemon.Signal("HUP");
            Thread.Sleep(20);
        }
        Assert.True(DaemonProcess.WaitUntil(() => Reloads(mining, "success") >= 1, EventTimeout), "no reload succeeded:\n" + daemon.Stderr);
        // Signals sent faster than they are handled merge: wait until the reloads stop coming.
        var settled = -1.0;
        Assert.True(DaemonProcess.WaitUntil(() =>
        {
            var now = Reloads(mining, "success");
            var same = now == settled;
            settled = now;
            Thread.Sleep(300);
            return same;
        }, EventTimeout), "reloads did not settle");
        Assert.Equal(0, Reloads(mining, "failure"));
        Assert.Equal(rules, Loaded(mining));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {Rounds} rounds of atomic replacement, {settled} reloads, none failed");
        AssertStillDetects("after the replacements");

        // 2. A broken file: the reload fails with file:line, the last good rules stay and detect.
        var broken = Path.Combine(config.RulesDirectory, "zz-extra.yml");
        ReplaceAtomically(broken, "kind: agents\nagents:\n  - {pattern: faultminer, software: [FaultMiner\n");
        var successes = Reloads(mining, "success");
        daemon.Signal("HUP");
        Assert.True(DaemonProcess.WaitUntil(() => Reloads(mining, "failure") == 1, EventTimeout), "the broken file's reload was not counted as failed:\n" + daemon.Stderr);
        Assert.True(daemon.WaitForLog(broken + ":", EventTimeout), "the broken file's line not logged:\n" + daemon.Stderr);
        Assert.Matches(Regex.Escape(broken) + @":\d+: ", daemon.Stderr);
        Assert.Contains("keeping the last good rules", daemon.Stderr, StringComparison.Ordinal);
        Assert.Equal(rules, Loaded(mining));
        Assert.Equal(successes, Reloads(mining, "success"));
        AssertStillDetects("with a broken rules file");

        // 3. Fixed: the reload succeeds and the new rule is in use.
        ReplaceAtomically(broken, ExtraAgent);
        daemon.Signal("HUP");
        Assert.True(DaemonProcess.WaitUntil(() => Reloads(mining, "success") == successes + 1, EventTimeout), "the fixed file did not reload:\n" + daemon.Stderr);
        Assert.Equal(rules + 1, Loaded(mining));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: broken file kept the last good rules; fixed file reloaded");

        // 4. A writer that truncates in place and is read half way: the half file is refused as
        // a whole (no rule of it half applied), the last good rules stay; complete, it reloads.
        var agents = Path.Combine(config.RulesDirectory, "agents.yml");
        var whole = originals[agents];
        var cut = whole.IndexOf("{pattern: cgminer", StringComparison.Ordinal) + "{pattern: cg".Length;
        File.WriteAllText(agents, whole[..cut]);
        daemon.Signal("HUP");
        Assert.True(DaemonProcess.WaitUntil(() => Reloads(mining, "failure") == 2, EventTimeout), "the half-written file's reload was not counted as failed:\n" + daemon.Stderr);
        Assert.Matches(Regex.Escape(agents) + @":\d+: ", daemon.Stderr);
        Assert.Equal(rules + 1, Loaded(mining));
        AssertStillDetects("with a half-written rules file");
        File.WriteAllText(agents, whole);
        daemon.Signal("HUP");
        Assert.True(DaemonProcess.WaitUntil(() => Reloads(mining, "success") == successes + 2, EventTimeout), "the completed file did not reload:\n" + daemon.Stderr);
        Assert.Equal(rules + 1, Loaded(mining));
        AssertStillDetects("after the file was completed");
        Assert.False(daemon.HasExited);
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: half-written file refused, completed file reloaded, stopped");
    }

    /// <summary>As an operator's deploy tool should: the new text beside the file, then rename(2) over it.</summary>
    private static void ReplaceAtomically(string path, string text)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static double Loaded(LoopbackMining mining) => mining.Scrape()["pooldetector_rules_loaded{}"];

    private static double Reloads(LoopbackMining mining, string result) => mining.Scrape()[$"pooldetector_rules_reloads_total{{result=\"{result}\"}}"];
}
