using System.Net;
using PoolDetector.Attribution;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Rules;

namespace PoolDetector.Reporting;

/// <summary>
/// Gathers events (one flow counted once however many events report it), then aggregates them
/// into a <see cref="MiningReport"/>: department, host, pool; totals; mining hosts per day.
/// </summary>
internal sealed class MiningReportBuilder
{
    /// <summary>Up to this many days (a leap year) the trend lists every day, zeros included: the gaps are the good news.</summary>
    public const int MaxDenseTrendDays = 366;

    /// <summary>A longer trend lists only the days with mining hosts, at most this many (the most recent): bounded output whatever the timestamps say.</summary>
    public const int MaxTrendDays = 3660;

    private readonly Dictionary<(long, IPAddress, int, IPAddress, int, string, long), ReportEvent> _flows = [];

    public InputSummary Inputs { get; } = new();

    /// <summary>
    /// One event. The daemon writes up to three per alerted flow: the alert at the verdict, its
    /// <c>evidence</c> event once the capture is complete (with its hash), <c>flow_end</c> at the
    /// flow's end (with the final counts, without the capture); rotated copies may hold one twice.
    /// The report keeps the one that saw the flow longest (its last packet is latest; on a tie the
    /// one read last), which is the final one when it is there, with the capture and hash any of
    /// them named.
    /// </summary>
    public void Add(ReportEvent e)
    {
        var key = e.FlowKey;
        if (_flows.TryGetValue(key, out var earlier))
        {
            Inputs.DuplicatesMerged++;
            var (kept, other) = e.LastSeen >= earlier.LastSeen ? (e, earlier) : (earlier, e);
            _flows[key] = kept with
            {
                EvidencePcap = kept.EvidencePcap ?? other.EvidencePcap,
                EvidenceSha256 = kept.EvidenceSha256 ?? other.EvidenceSha256,
            };
            return;
        }
        _flows.Add(key, e);
    }

    public MiningReport Build(ReportPeriod period, Inventory? inventory)
    {
        var departments = new Dictionary<string, DepartmentActivity>(StringComparer.Ordinal);
        var byCategory = new Dictionary<DetectionCategory, long>
        {
            [DetectionCategory.Mining] = 0,
            [DetectionCategory.PoolContact] = 0,
            [DetectionCategory.CryptoNode] = 0,
        };
        var miningDays = new Dictionary<IPAddress, List<(int First, int Last)>>();
        DateTimeOffset? first = null;
        DateTimeOffset? last = null;

        foreach (var e in _flows.Values)
        {
            if (!period.Overlaps(e.FirstSeen, e.LastSeen))
            {
                Inputs.OutsidePeriod++;
                continue;
            }
            // An event that names its department (the sensor's own attribution) keeps it, with its
            // owner and contact; otherwise the inventory's most specific network answers.
            string name;
            string? owner;
            string? contact;
            if (!string.IsNullOrWhiteSpace(e.Department))
            {
                (name, owner, contact) = (e.Department, e.Owner, e.Contact);
            }
            else if (inventory is not null && inventory.TryFind(IpAddress.FromIPAddress(e.Source), out var unit))
            {
                (name, owner, contact) = (unit.Department, unit.Owner, unit.Contact);
            }
            else
            {
                (name, owner, contact) = (DepartmentActivity.Unassigned, e.Owner, e.Contact);
            }
            if (!departments.TryGetValue(name, out var department))
            {
                department = new DepartmentActivity(name);
                departments.Add(name, department);
            }
            var host = department.Host(e.Source);
            host.Add(e);
            host.Owner = owner ?? host.Owner;
            host.Contact = contact ?? host.Contact;
            byCategory[e.Category]++;
            first = first is { } f && f <= e.FirstSeen ? f : e.FirstSeen;
            last = last is { } l && l >= e.LastSeen ? l : e.LastSeen;

            if (Activity.CountsAsMining(e))
            {
                // A host mines on every day its flow is open, clipped to the period: a miner
                // holds one connection to its pool for days.
                var start = period.From is { } from && from > e.FirstSeen ? from : e.FirstSeen;
                var end = period.To is { } to && to <= e.LastSeen ? to.AddTicks(-1) : e.LastSeen;
                if (!miningDays.TryGetValue(e.Source, out var days))
                {
                    days = [];
                    miningDays.Add(e.Source, days);
                }
                days.Add((period.DayOf(start).DayNumber, period.DayOf(end).DayNumber));
            }
        }

        var (trend, sparse, omitted) = Trend(period, miningDays);
        return new MiningReport
        {
            Period = period,
            // Named departments alphabetically, the hosts nobody answers for last.
            Departments = departments.Values
                .OrderBy(d => d.Name == DepartmentActivity.Unassigned)
                .ThenBy(d => d.Name, StringComparer.Ordinal)
                .ToList(),
            Trend = trend,
            TrendSparse = sparse,
            TrendDaysOmitted = omitted,
            Inputs = Inputs,
            FirstSeen = first,
            LastSeen = last,
            FlowsByCategory = byCategory,
        };
    }

    private static (List<TrendDay> Days, bool Sparse, int Omitted) Trend(ReportPeriod period, Dictionary<IPAddress, List<(int First, int Last)>> miningDays)
    {
        // Each host's days merged first, so a host counts once a day however many flows it had.
        var deltas = new SortedDictionary<int, int>();
        int? dataFirst = null;
        int? dataLast = null;
        foreach (var intervals in miningDays.Values)
        {
            intervals.Sort();
            var (start, end) = intervals[0];
            foreach (var (s, e) in intervals.Skip(1))
            {
                if (s <= end + 1)
                {
                    end = Math.Max(end, e);
                    continue;
                }
                Mark(start, end);
                (start, end) = (s, e);
            }
            Mark(start, end);
        }

        var rangeFirst = period.From is { } from ? period.DayOf(from).DayNumber : dataFirst;
        var rangeLast = period.To is { } to ? period.DayOf(to.AddTicks(-1)).DayNumber : dataLast;
        if (rangeFirst is not { } first || rangeLast is not { } last || first > last)
        {
            return ([], false, 0);
        }

        // Runs of days with the same count, from the sweep over the deltas.
        var runs = new List<(int First, int Last, int Count)>();
        var count = 0;
        int? previous = null;
        foreach (var (day, delta) in deltas)
        {
            if (previous is { } p && count > 0)
            {
                runs.Add((p, day - 1, count));
            }
            count += delta;
            previous = day;
        }

        if ((long)last - first + 1 <= MaxDenseTrendDays)
        {
            var counts = new int[last - first + 1];
            foreach (var (runFirst, runLast, runCount) in runs)
            {
                for (var day = Math.Max(runFirst, first); day <= Math.Min(runLast, last); day++)
                {
                    counts[day - first] = runCount;
                }
            }
            return (counts.Select((c, i) => new TrendDay(DateOnly.FromDayNumber(first + i), c)).ToList(), false, 0);
        }

        var days = new List<TrendDay>();
        var omitted = 0;
        for (var r = runs.Count - 1; r >= 0; r--)
        {
            var (runFirst, runLast, runCount) = runs[r];
            for (var day = Math.Min(runLast, last); day >= Math.Max(runFirst, first); day--)
            {
                if (days.Count < MaxTrendDays)
                {
                    days.Add(new TrendDay(DateOnly.FromDayNumber(day), runCount));
                }
                else
                {
                    omitted++;
                }
            }
        }
        days.Reverse();
        return (days, true, omitted);

        void Mark(int start, int end)
        {
            deltas[start] = deltas.GetValueOrDefault(start) + 1;
            deltas[end + 1] = deltas.GetValueOrDefault(end + 1) - 1;
            dataFirst = dataFirst is { } f && f <= start ? f : start;
            dataLast = dataLast is { } l && l >= end ? l : end;
        }
    }
}
