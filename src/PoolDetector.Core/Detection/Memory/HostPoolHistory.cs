using PoolDetector.Core.Decoding;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection.Memory;

/// <summary>The last verdict reported for an internal host and a pool endpoint.</summary>
public readonly record struct HostPoolVerdict(
    DetectionCategory Category,
    string Dialect,
    Confidence Confidence,
    string? PoolName,
    string? Worker,
    long FlowId,
    long SeenMicros);

/// <summary>
/// Verdicts per (internal host, pool endpoint) (DESIGN.md, "Detector"): once a host has mined
/// with a pool, its reconnects, its TLS sessions and its half-open attempts to that endpoint
/// inherit the label, with the wallet it used. Other ports of the same address are the learned
/// pools' business (<see cref="LearnedPools"/>), which apply to every host. Bounded; entries older than
/// <see cref="HoldMicros"/> of packet time no longer count.
/// </summary>
public sealed class HostPoolHistory
{
    public const int DefaultCapacity = 65_536;
    public const long HoldMicros = 7L * 86_400_000_000;

    private readonly BoundedLru<(IpAddress Host, IpAddress Pool, ushort Port), HostPoolVerdict> _verdicts;

    public HostPoolHistory(int capacity = DefaultCapacity)
    {
        _verdicts = new BoundedLru<(IpAddress, IpAddress, ushort), HostPoolVerdict>(capacity);
    }

    public int Count => _verdicts.Count;

    public long Evicted => _verdicts.Evicted;

    /// <summary>Keeps the strongest verdict: a later weak contact does not overwrite an earlier mining session.</summary>
    public void Remember(IpAddress host, IpAddress pool, ushort port, HostPoolVerdict verdict)
    {
        if (_verdicts.TryGetValue((host, pool, port), out var earlier)
            && verdict.SeenMicros - earlier.SeenMicros < HoldMicros
            && Rank(earlier) > Rank(verdict))
        {
            _verdicts.Set((host, pool, port), earlier with { SeenMicros = verdict.SeenMicros });
            return;
        }
        _verdicts.Set((host, pool, port), verdict);
    }

    public bool TryGet(IpAddress host, IpAddress pool, ushort port, long nowMicros, out HostPoolVerdict verdict)
    {
        if (_verdicts.TryGetValue((host, pool, port), out verdict) && nowMicros - verdict.SeenMicros <= HoldMicros)
        {
            return true;
        }
        verdict = default;
        return false;
    }

    private static int Rank(HostPoolVerdict verdict) =>
        (verdict.Category == DetectionCategory.Mining ? 10 : 0) + (int)verdict.Confidence;
}
