namespace PoolDetector.Bench.Running;

/// <summary>The live mode's own arguments, checked before anything is created. Public for the tests.</summary>
public static class LiveArguments
{
    /// <summary>
    /// Why the live mode cannot run with these arguments (null when it can): it needs root (a
    /// network namespace, a veth pair, live capture), rates it understands, and KEY=VALUE settings.
    /// </summary>
    public static string? Problem(bool isRoot, string rateList, int bisectRounds, IReadOnlyList<string> settings,
        out IReadOnlyList<ReplayRate> rates, out IReadOnlyDictionary<string, string> daemonSettings)
    {
        daemonSettings = new Dictionary<string, string>();
        if (!ReplayRate.TryParseList(rateList, out rates, out var rateProblem))
        {
            return "--rates: " + rateProblem;
        }
        if (bisectRounds < 0)
        {
            return $"--bisect {bisectRounds}: must be 0 or more";
        }
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in settings)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return $"--setting {pair}: expected KEY=VALUE, a daemon option of section PoolDetector (KernelBufferMiB=128)";
            }
            parsed[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
        }
        daemonSettings = parsed;
        if (!isRoot)
        {
            return "--mode live needs root: it creates a network namespace and a veth pair, and the daemon captures live (run it as root, or sudo bench/run.sh --live)";
        }
        return null;
    }
}
