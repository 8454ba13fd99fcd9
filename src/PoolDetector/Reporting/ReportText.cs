using System.Globalization;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Reporting;

/// <summary>How every writer spells times, numbers and lists, so the three formats agree.</summary>
internal static class ReportText
{
    public const string Title = "Cryptocurrency mining report";

    /// <summary>A wall-clock time in the report's zone, for people.</summary>
    public static string Time(ReportPeriod period, DateTimeOffset instant) =>
        period.Local(instant).ToString("yyyy'-'MM'-'dd' 'HH':'mm':'ss", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 with the zone's offset at that instant, for machines (CSV).</summary>
    public static string IsoTime(ReportPeriod period, DateTimeOffset instant) =>
        period.Local(instant).ToString("yyyy'-'MM'-'dd'T'HH':'mm':'sszzz", CultureInfo.InvariantCulture);

    public static string Day(DateOnly day) => day.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);

    /// <summary>Counts with thousands separators: byte totals run to many digits.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Raw(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Category(Activity activity) => activity.Category.ToWireName();

    public static string Confidence(Activity activity) => activity.Confidence.ToWireName();

    /// <summary>Shares as analyze's table shows them: accepted/submitted.</summary>
    public static string Shares(long accepted, long submitted) => $"{Count(accepted)}/{Count(submitted)}";

    public static string Period(MiningReport report)
    {
        var p = report.Period;
        var window = (p.From, p.To) switch
        {
            ({ } from, { } to) => $"from {Time(p, from)} up to {Time(p, to)}",
            ({ } from, null) => $"from {Time(p, from)}",
            (null, { } to) => $"up to {Time(p, to)}",
            _ => "all events",
        };
        var seen = report.FirstSeen is { } first && report.LastSeen is { } last
            ? $"; flows seen {Time(p, first)} to {Time(p, last)}"
            : "; no flows";
        return $"{window}{seen}. Times are in {p.ZoneName}.";
    }

    /// <summary>The report's headline numbers, in the order every format lists them.</summary>
    public static IReadOnlyList<(string Name, string Value)> Totals(MiningReport report) =>
    [
        ("departments", Count(report.Departments.Count)),
        ("hosts", Count(report.Hosts)),
        ("mining hosts (mining, or pool contact of medium confidence or more)", Count(report.MiningHosts)),
        ("flows", Count(report.Flows)),
        ("flows: mining", Count(report.FlowsByCategory[DetectionCategory.Mining])),
        ("flows: pool-contact", Count(report.FlowsByCategory[DetectionCategory.PoolContact])),
        ("flows: crypto-node", Count(report.FlowsByCategory[DetectionCategory.CryptoNode])),
        ("pool endpoints", Count(report.Pools)),
        ("packets", Count(report.Packets)),
        ("bytes", Count(report.Bytes)),
        ("shares accepted/submitted", Shares(report.SharesAccepted, report.SharesSubmitted)),
        ("evidence files", Count(report.EvidenceFiles)),
    ];

    /// <summary>What the trend shows, when it does not show every day.</summary>
    public static string? TrendNote(MiningReport report)
    {
        if (report.Trend.Count == 0)
        {
            return "No mining hosts in this period.";
        }
        if (!report.TrendSparse)
        {
            return null;
        }
        var note = $"The period is longer than {MiningReportBuilder.MaxDenseTrendDays} days: only the days with mining hosts are listed.";
        return report.TrendDaysOmitted > 0
            ? $"{note} {Count(report.TrendDaysOmitted)} earlier day(s) with mining hosts are left out (at most {Count(MiningReportBuilder.MaxTrendDays)} days are listed)."
            : note;
    }

    /// <summary>What was read, for the report's last section.</summary>
    public static string InputNote(MiningReport report)
    {
        var inputs = report.Inputs;
        return $"{Count(inputs.DuplicatesMerged)} event(s) reporting a flow already reported were merged (a flow counts once); "
            + $"{Count(inputs.OutsidePeriod)} flow(s) outside the period were left out.";
    }
}
