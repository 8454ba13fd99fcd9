using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Outputs;

/// <summary>What identifies "the same miner mining at the same pool".</summary>
internal readonly record struct AggregateKey(IpAddress Miner, IpAddress Pool, ushort PoolPort, string Dialect);

/// <summary>One miner and pool over time: the line of a later report instead of a flood of alerts.</summary>
internal sealed record MiningAggregate(
    AggregateKey Key,
    DetectionCategory Category,
    long FirstSeenMicros,
    long LastSeenMicros,
    long Flows,
    long OpenFlows,
    long Bytes,
    long SharesSubmitted,
    long SharesAccepted,
    string? Worker);

/// <summary>
/// Folds detections per (miner address, pool address, pool port, dialect): first and
/// last seen, flows, bytes, shares. A flow is counted on its first report; its flow-end
/// report adds only what happened since. Bounded: beyond <c>MaxAggregates</c> the least
/// recently seen entry is evicted (counted). Written on the engine thread; read (snapshot,
/// mining hosts) from anywhere, under a lock held only per detection and once a second.
/// </summary>
internal sealed class DetectionAggregator
{
    private readonly int _maxEntries;
    private readonly int _maxOpenFlows;
    private readonly Dictionary<AggregateKey, LinkedListNode<Entry>> _entries = [];
    // Least recently seen first.
    private readonly LinkedList<Entry> _byRecency = new();
    private readonly Dictionary<long, OpenFlow> _openFlows = [];
    private readonly HashSet<IpAddress> _hosts = [];
    private readonly Lock _lock = new();

    public DetectionAggregator(int maxEntries, int maxOpenFlows)
    {
        _maxEntries = maxEntries;
        _maxOpenFlows = maxOpenFlows;
    }

    public long Evicted { get; private set; }

    /// <summary>Flows reported live whose end could not be tracked (more open than the flow cap).</summary>
    public long Untracked { get; private set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>A flow's first report (the alert).</summary>
    public void OnFirstReport(MiningDetection detection)
    {
        lock (_lock)
        {
            var entry = Touch(detection);
            entry.Flows++;
            entry.Bytes += detection.BytesToServer + detection.BytesToClient;
            entry.SharesSubmitted += detection.SharesSubmitted;
            entry.SharesAccepted += detection.SharesAccepted;
            if (!detection.FlowEnded)
            {
                if (_openFlows.Count < _maxOpenFlows)
                {
                    _openFlows[detection.FlowId] = new OpenFlow(entry.Key, detection.BytesToServer + detection.BytesToClient, detection.SharesSubmitted, detection.SharesAccepted);
                    entry.OpenFlows++;
                }
                else
                {
                    Untracked++;
                }
            }
        }
    }

    /// <summary>A flow already reported has ended: its final counts replace the ones first reported.</summary>
    public void OnFlowEnd(MiningDetection detection)
    {
        lock (_lock)
        {
            if (!_openFlows.Remove(detection.FlowId, out var open))
            {
                return;
            }
            if (!_entries.ContainsKey(open.Key))
            {
                // Evicted while the flow ran: a fresh entry would count the flow again.
                return;
            }
            var entry = Touch(detection);
            entry.OpenFlows--;
            entry.Bytes += detection.BytesToServer + detection.BytesToClient - open.Bytes;
            entry.SharesSubmitted += detection.SharesSubmitted - open.SharesSubmitted;
            entry.SharesAccepted += detection.SharesAccepted - open.SharesAccepted;
        }
    }

    /// <summary>
    /// Distinct miners with a <c>mining</c> flow, or <c>pool-contact</c> of medium confidence
    /// (mining hidden by TLS or a proxy: a pool's name, its certificate, its history), still open
    /// or whose last packet is within <paramref name="windowMicros"/> of <paramref name="nowMicros"/>:
    /// the headline number.
    /// </summary>
    public int CountMiningHosts(long nowMicros, long windowMicros)
    {
        lock (_lock)
        {
            _hosts.Clear();
            for (var node = _byRecency.Last; node is not null; node = node.Previous)
            {
                var entry = node.Value;
                if (!entry.MiningActivity)
                {
                    continue;
                }
                if (entry.OpenFlows > 0 || nowMicros - entry.LastSeenMicros <= windowMicros)
                {
                    _hosts.Add(entry.Key.Miner);
                }
            }
            return _hosts.Count;
        }
    }

    /// <summary>Every aggregate now, most recently seen first: what a report reads.</summary>
    public IReadOnlyList<MiningAggregate> Snapshot()
    {
        lock (_lock)
        {
            var list = new List<MiningAggregate>(_entries.Count);
            for (var node = _byRecency.Last; node is not null; node = node.Previous)
            {
                var e = node.Value;
                list.Add(new MiningAggregate(e.Key, e.Category, e.FirstSeenMicros, e.LastSeenMicros, e.Flows, e.OpenFlows, e.Bytes, e.SharesSubmitted, e.SharesAccepted, e.Worker));
            }
            return list;
        }
    }

    /// <summary>
    /// The aggregates that make their miner an offender, as <see cref="CountMiningHosts"/> counts
    /// them (mining, or pool contact of medium confidence), most recently seen first: what the
    /// block list is built from, without copying every other aggregate once a second.
    /// </summary>
    public IReadOnlyList<MiningAggregate> SnapshotMiningActivity()
    {
        lock (_lock)
        {
            var list = new List<MiningAggregate>();
            for (var node = _byRecency.Last; node is not null; node = node.Previous)
            {
                var e = node.Value;
                if (e.MiningActivity)
                {
                    list.Add(new MiningAggregate(e.Key, e.Category, e.FirstSeenMicros, e.LastSeenMicros, e.Flows, e.OpenFlows, e.Bytes, e.SharesSubmitted, e.SharesAccepted, e.Worker));
                }
            }
            return list;
        }
    }

    private Entry Touch(MiningDetection detection)
    {
        var key = new AggregateKey(detection.MinerAddress, detection.PoolAddress, detection.PoolPort, detection.Dialect);
        if (_entries.TryGetValue(key, out var node))
        {
            _byRecency.Remove(node);
            _byRecency.AddLast(node);
        }
        else
        {
            if (_entries.Count >= _maxEntries)
            {
                var oldest = _byRecency.First!;
                _byRecency.RemoveFirst();
                _entries.Remove(oldest.Value.Key);
                Evicted++;
            }
            node = _byRecency.AddLast(new Entry(key, detection.Category, detection.FirstSeenMicros > 0 ? detection.FirstSeenMicros : detection.TimestampMicros));
            _entries[key] = node;
        }
        var entry = node.Value;
        entry.LastSeenMicros = Math.Max(entry.LastSeenMicros, Math.Max(detection.LastSeenMicros, detection.TimestampMicros));
        // The strongest category seen wins (mining over pool-contact).
        if (detection.Category == DetectionCategory.Mining)
        {
            entry.Category = DetectionCategory.Mining;
        }
        entry.MiningActivity |= detection.Category == DetectionCategory.Mining
            || (detection.Category == DetectionCategory.PoolContact && detection.Confidence >= Confidence.Medium);
        entry.Worker = detection.Worker ?? entry.Worker;
        return entry;
    }

    private sealed class Entry(AggregateKey key, DetectionCategory category, long firstSeenMicros)
    {
        public AggregateKey Key { get; } = key;
        public DetectionCategory Category { get; set; } = category;
        public long FirstSeenMicros { get; } = firstSeenMicros;
        public long LastSeenMicros { get; set; }
        public long Flows { get; set; }
        public long OpenFlows { get; set; }
        public long Bytes { get; set; }
        public long SharesSubmitted { get; set; }
        public long SharesAccepted { get; set; }
        public string? Worker { get; set; }
        /// <summary>Counts towards the mining hosts: mining, or pool contact of medium confidence.</summary>
        public bool MiningActivity { get; set; }
    }

    private readonly record struct OpenFlow(AggregateKey Key, long Bytes, long SharesSubmitted, long SharesAccepted);
}
