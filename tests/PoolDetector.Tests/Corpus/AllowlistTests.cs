using PoolDetector.Core.Intel;
using PoolDetector.Core.Rules;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Corpus;

/// <summary>The operator's allowlist keeps a detection from being reported, and counts it; a lapsed entry stops applying on its own.</summary>
public class AllowlistTests
{
    private const string Wallet = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";

    [Theory]
    // The internal host, on the last day of its entry and the day after.
    [InlineData("192.0.2.10\tADDR\tresearch GPU box\t2026-11-01", 1, true)]
    [InlineData("192.0.2.10\tADDR\tresearch GPU box\t2026-11-01", 2, false)]
    // The pool, a range, the wallet without its rig name.
    [InlineData("203.0.113.5\tADDR\tour own pool\tnever", 1, true)]
    [InlineData("192.0.2.0/24\tSUBNET\tlab\tnever", 1, true)]
    [InlineData(Wallet + "\tWALLET\tthe department's account\tnever", 1, true)]
    // Someone else's entry changes nothing.
    [InlineData("192.0.2.11\tADDR\tanother box\tnever", 1, false)]
    public void An_allowlisted_session_is_counted_not_reported(string entry, int day, bool allowed)
    {
        var intel = IntelLoader.Load(
            [("allowlist.tsv", "#fields\tindicator\tindicator_type\treason\texpires\n" + entry + "\n")],
            new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Empty(intel.Errors);
        var files = Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal)
            .Select(f => (f, File.ReadAllText(f))).ToList();
        var rules = RuleLoader.Load(files, intel.Intel);

        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, day, 8, 0, 0, TimeSpan.Zero));
        capture.Tcp("192.0.2.10", 40001, "203.0.113.5", 10128, 1000, 2000).Handshake()
            .Client(CaptureRunner.XmrigLogin(Wallet + ".rig7"))
            .Server(CaptureRunner.XmrigLoginReply)
            .Close();
        var sink = new CaptureRunner.CollectingSink();
        var engine = CaptureRunner.RunEngine(CaptureRunner.ReadFrames(capture), rules, sink);

        Assert.Equal(allowed ? 0 : 1, sink.Detections.Count);
        Assert.Equal(allowed ? 1 : 0, engine.Allowlisted);
        // An allowlisted pool is not learned either; a reported one is.
        Assert.Equal(allowed && entry.StartsWith("203.", StringComparison.Ordinal) ? 0 : 1, engine.Learned.Count);
    }
}
