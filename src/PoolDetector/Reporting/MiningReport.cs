using System.Net;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Reporting;

/// <summary>An evidence capture named by events: the sensor's own (with its hash once complete), or the file analyze read.</summary>
internal sealed record EvidenceFile(string Path, string? Sha256) : IComparable<EvidenceFile>
{
    public int CompareTo(EvidenceFile? other) => other is null ? 1 : string.CompareOrdinal(ToString(), other.ToString());

    public override string ToString() => Sha256 is null ? Path : $"{Path} (sha256:{Sha256})";
}

/// <summary>
/// What a set of flows adds up to: the strongest verdict, what the traffic named, when, how
/// much. The same sums serve a host's pool (a CSV row) and the host as a whole.
/// </summary>
internal class Activity
{
    public DetectionCategory Category { get; private set; }
    /// <summary>The highest confidence among the flows of <see cref="Category"/>.</summary>
    public Confidence Confidence { get; private set; }
    public SortedSet<string> Dialects { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Software { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Workers { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> PoolHosts { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Vlans { get; } = new(StringComparer.Ordinal);
    public SortedSet<EvidenceFile> EvidenceFiles { get; } = [];
    public DateTimeOffset FirstSeen { get; private set; } = DateTimeOffset.MaxValue;
    public DateTimeOffset LastSeen { get; private set; } = DateTimeOffset.MinValue;
    public long Flows { get; private set; }
    public long Packets { get; private set; }
    public long Bytes { get; private set; }
    public long SharesSubmitted { get; private set; }
    public long SharesAccepted { get; private set; }
    /// <summary>
    /// A flow of category mining, or pool contact of medium confidence or more (mining hidden by
    /// TLS): the daemon's <c>pooldetector_mining_hosts</c> definition, so the report and the
    /// Grafana headline count the same thing.
    /// </summary>
    public bool IsMining { get; private set; }

    public virtual void Add(ReportEvent e)
    {
        if (Flows == 0 || Rank(e.Category) > Rank(Category))
        {
            Category = e.Category;
            Confidence = e.Confidence;
        }
        else if (e.Category == Category && e.Confidence > Confidence)
        {
            Confidence = e.Confidence;
        }
        IsMining |= CountsAsMining(e);
        AddIfAny(Dialects, e.Dialect);
        AddIfAny(Software, e.Agent);
        AddIfAny(Workers, e.Worker);
        AddIfAny(PoolHosts, e.PoolHost);
        AddIfAny(Vlans, e.Vlans);
        if (e.EvidencePcap is not null)
        {
            EvidenceFiles.Add(new EvidenceFile(e.EvidencePcap, e.EvidenceSha256));
        }
        if (e.PcapFilename is not null)
        {
            EvidenceFiles.Add(new EvidenceFile(e.PcapFilename, null));
        }
        if (e.FirstSeen < FirstSeen)
        {
            FirstSeen = e.FirstSeen;
        }
        if (e.LastSeen > LastSeen)
        {
            LastSeen = e.LastSeen;
        }
        Flows++;
        Packets += e.Packets;
        Bytes += e.Bytes;
        SharesSubmitted += e.SharesSubmitted;
        SharesAccepted += e.SharesAccepted;
    }

    public static bool CountsAsMining(ReportEvent e) =>
        e.Category == DetectionCategory.Mining || (e.Category == DetectionCategory.PoolContact && e.Confidence >= Confidence.Medium);

    /// <summary>Mining outranks pool contact, which outranks node traffic.</summary>
    public static int Rank(DetectionCategory category) => category switch
    {
        DetectionCategory.Mining => 3,
        DetectionCategory.PoolContact => 2,
        _ => 1,
    };

    private static void AddIfAny(SortedSet<string> set, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            set.Add(value);
        }
    }
}

/// <summary>One internal host's traffic to one pool endpoint: a CSV row.</summary>
internal sealed class PoolActivity(IPAddress address, int port) : Activity
{
    public IPAddress Address { get; } = address;
    public int Port { get; } = port;

    public string Endpoint => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>One internal host within a department, with its pools.</summary>
internal sealed class HostActivity(IPAddress address) : Activity
{
    private readonly Dictionary<(IPAddress, int), PoolActivity> _pools = [];
    private List<PoolActivity>? _sorted;

    public IPAddress Address { get; } = address;
    public SortedSet<string> Hostnames { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Macs { get; } = new(StringComparer.Ordinal);
    public string? Owner { get; set; }
    public string? Contact { get; set; }

    /// <summary>Pools in address order, then port (sorted once, when first asked after a change).</summary>
    public IReadOnlyList<PoolActivity> Pools =>
        _sorted ??= _pools.Values.OrderBy(p => p.Address, AddressComparer.Instance).ThenBy(p => p.Port).ToList();

    public override void Add(ReportEvent e)
    {
        base.Add(e);
        if (!string.IsNullOrEmpty(e.Hostname))
        {
            Hostnames.Add(e.Hostname);
        }
        if (!string.IsNullOrEmpty(e.Mac))
        {
            Macs.Add(e.Mac);
        }
        if (!_pools.TryGetValue((e.Destination, e.DestinationPort), out var pool))
        {
            pool = new PoolActivity(e.Destination, e.DestinationPort);
            _pools.Add((e.Destination, e.DestinationPort), pool);
            _sorted = null;
        }
        pool.Add(e);
    }
}

/// <summary>A department's hosts.</summary>
internal sealed class DepartmentActivity(string name)
{
    public const string Unassigned = "(unassigned)";

    private readonly Dictionary<IPAddress, HostActivity> _hosts = [];
    private List<HostActivity>? _sorted;

    public string Name { get; } = name;

    /// <summary>Hosts in address order (sorted once, when first asked after a change).</summary>
    public IReadOnlyList<HostActivity> Hosts => _sorted ??= _hosts.Values.OrderBy(h => h.Address, AddressComparer.Instance).ToList();

    public long MiningHosts => _hosts.Values.Count(h => h.IsMining);
    public long Flows => _hosts.Values.Sum(h => h.Flows);
    public long Bytes => _hosts.Values.Sum(h => h.Bytes);
    public long SharesSubmitted => _hosts.Values.Sum(h => h.SharesSubmitted);
    public long SharesAccepted => _hosts.Values.Sum(h => h.SharesAccepted);

    public HostActivity Host(IPAddress address)
    {
        if (!_hosts.TryGetValue(address, out var host))
        {
            host = new HostActivity(address);
            _hosts.Add(address, host);
            _sorted = null;
        }
        return host;
    }
}

/// <summary>A day of the trend: how many distinct hosts mined (DESIGN's mining host) that day.</summary>
internal readonly record struct TrendDay(DateOnly Day, int MiningHosts);

/// <summary>Everything read, before any filtering: for the report's inputs section and stderr.</summary>
internal sealed class InputSummary
{
    public List<EventFileStats> Files { get; } = [];
    /// <summary>Events that reported a flow already reported (a live alert and its final event).</summary>
    public long DuplicatesMerged { get; set; }
    /// <summary>Flows wholly outside <c>--from</c>/<c>--to</c>.</summary>
    public long OutsidePeriod { get; set; }
    public long Broken => Files.Sum(f => f.Broken);
    public long Unreadable => Files.Count(f => f.Error is not null);
}

/// <summary>The aggregated report every writer renders: departments, hosts, pools, totals, the trend.</summary>
internal sealed class MiningReport
{
    public required ReportPeriod Period { get; init; }
    public required IReadOnlyList<DepartmentActivity> Departments { get; init; }
    public required IReadOnlyList<TrendDay> Trend { get; init; }
    /// <summary>
    /// True when the trend lists only days with mining hosts: the period is too long to list
    /// every day (more than <see cref="MiningReportBuilder.MaxDenseTrendDays"/>).
    /// </summary>
    public bool TrendSparse { get; init; }
    /// <summary>Days with mining hosts left out of the trend to keep it bounded (the oldest go).</summary>
    public int TrendDaysOmitted { get; init; }
    public required InputSummary Inputs { get; init; }

    /// <summary>First and last packet of the flows in the report; null when there are none.</summary>
    public DateTimeOffset? FirstSeen { get; init; }
    public DateTimeOffset? LastSeen { get; init; }

    // Hosts are counted by address across departments: one machine whose events named two
    // departments (it moved) is still one host.
    public int Hosts => Departments.SelectMany(d => d.Hosts).Select(h => h.Address).Distinct().Count();
    public int MiningHosts => Departments.SelectMany(d => d.Hosts).Where(h => h.IsMining).Select(h => h.Address).Distinct().Count();
    public long Flows => Departments.Sum(d => d.Flows);
    public long Bytes => Departments.Sum(d => d.Bytes);
    public long Packets => Departments.SelectMany(d => d.Hosts).Sum(h => h.Packets);
    public long SharesSubmitted => Departments.Sum(d => d.SharesSubmitted);
    public long SharesAccepted => Departments.Sum(d => d.SharesAccepted);
    public required IReadOnlyDictionary<DetectionCategory, long> FlowsByCategory { get; init; }
    public int Pools => Departments.SelectMany(d => d.Hosts).SelectMany(h => h.Pools).Select(p => (p.Address, p.Port)).Distinct().Count();
    public int EvidenceFiles => Departments.SelectMany(d => d.Hosts).SelectMany(h => h.EvidenceFiles).Distinct().Count();
}

/// <summary>Orders addresses as numbers, IPv4 before IPv6, so 10.0.0.9 comes before 10.0.0.10.</summary>
internal sealed class AddressComparer : IComparer<IPAddress>
{
    public static readonly AddressComparer Instance = new();

    public int Compare(IPAddress? x, IPAddress? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }
        var a = x.GetAddressBytes();
        var b = y.GetAddressBytes();
        return a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.AsSpan().SequenceCompareTo(b);
    }
}
