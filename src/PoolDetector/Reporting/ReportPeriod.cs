using System.Globalization;
using System.Text.RegularExpressions;

namespace PoolDetector.Reporting;

/// <summary>
/// The report's time frame: the time zone whose midnights divide days, and an optional window
/// <c>[From, To)</c>. A date alone means that whole day in the zone (<c>--from 2024-05-01 --to
/// 2024-05-31</c> is all of May); a date and time without an offset is a wall-clock time in the
/// zone; one with an offset (<c>Z</c>, <c>+08:00</c>) is that instant.
/// </summary>
internal sealed partial class ReportPeriod
{
    public const string DefaultTimeZone = "UTC";

    private static readonly string[] DateTimeFormats =
    [
        "yyyy'-'MM'-'dd'T'HH':'mm",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFF",
    ];

    public ReportPeriod(TimeZoneInfo zone, string zoneName, DateTimeOffset? from, DateTimeOffset? to)
    {
        Zone = zone;
        ZoneName = zoneName;
        From = from;
        To = to;
    }

    public TimeZoneInfo Zone { get; }
    /// <summary>The name as the operator gave it (IANA), for the report's header.</summary>
    public string ZoneName { get; }
    public DateTimeOffset? From { get; }
    /// <summary>Exclusive.</summary>
    public DateTimeOffset? To { get; }

    /// <summary>The zone by IANA name, or null with the reason.</summary>
    public static TimeZoneInfo? FindZone(string name, out string? problem)
    {
        problem = null;
        // UTC needs no tzdata: a minimal container without /usr/share/zoneinfo still gets the default.
        if (name is "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }
        if (TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone))
        {
            return zone;
        }
        problem = $"unknown time zone '{name}': give an IANA name such as UTC, Europe/Berlin or Asia/Shanghai (the system's tzdata lists them in /usr/share/zoneinfo)";
        return null;
    }

    /// <summary>
    /// An ISO 8601 date or date-time for <c>--from</c> (<paramref name="isEnd"/> false) or
    /// <c>--to</c> (true: a date alone then means the end of that day). Null with the reason.
    /// </summary>
    public static DateTimeOffset? ParseBound(string text, TimeZoneInfo zone, bool isEnd, out string? problem)
    {
        problem = null;
        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return StartOfDay(isEnd ? date.AddDays(1) : date, zone);
        }
        // "2024-05-06 10:00" is how people type it; ISO wants the T.
        if (text.Length > 10 && text[10] == ' ')
        {
            text = string.Concat(text.AsSpan(0, 10), "T", text.AsSpan(11));
        }
        var offsetMatch = OffsetSuffix().Match(text);
        var local = offsetMatch.Success ? text[..offsetMatch.Index] : text;
        if (!DateTime.TryParseExact(local, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wallClock))
        {
            problem = $"'{text}' is not an ISO 8601 date or date-time (2024-05-01, 2024-05-01T08:00, 2024-05-01T08:00:00+08:00)";
            return null;
        }
        if (offsetMatch.Success)
        {
            var offset = offsetMatch.Value == "Z"
                ? TimeSpan.Zero
                : new TimeSpan(int.Parse(offsetMatch.Groups["h"].Value, CultureInfo.InvariantCulture), int.Parse(offsetMatch.Groups["m"].Value, CultureInfo.InvariantCulture), 0)
                    * (offsetMatch.Value[0] == '-' ? -1 : 1);
            if (offset.Duration() > TimeSpan.FromHours(14))
            {
                problem = $"'{text}': the offset is out of range (-14:00 to +14:00)";
                return null;
            }
            return new DateTimeOffset(wallClock, offset);
        }
        if (zone.IsInvalidTime(wallClock))
        {
            problem = $"'{text}' does not exist in {zone.Id}: the clocks skip it when daylight saving time starts";
            return null;
        }
        // An hour that happens twice when daylight saving time ends is taken as the first.
        var offsets = zone.IsAmbiguousTime(wallClock) ? zone.GetAmbiguousTimeOffsets(wallClock).Max() : zone.GetUtcOffset(wallClock);
        return new DateTimeOffset(wallClock, offsets);
    }

    /// <summary>The day (in the report's zone) an instant falls on.</summary>
    public DateOnly DayOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>An instant as a wall-clock time in the report's zone.</summary>
    public DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>Whether a flow active from <paramref name="first"/> to <paramref name="last"/> falls (partly) in the window.</summary>
    public bool Overlaps(DateTimeOffset first, DateTimeOffset last) =>
        (From is not { } from || last >= from) && (To is not { } to || first < to);

    /// <summary>
    /// Midnight of <paramref name="date"/> in <paramref name="zone"/>; where a zone skips midnight
    /// for daylight saving time (some do), the first wall-clock time that exists that day.
    /// </summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var wallClock = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        for (var i = 0; i < 8 && zone.IsInvalidTime(wallClock); i++)
        {
            wallClock = wallClock.AddMinutes(30);
        }
        var offset = zone.IsAmbiguousTime(wallClock) ? zone.GetAmbiguousTimeOffsets(wallClock).Max() : zone.GetUtcOffset(wallClock);
        return new DateTimeOffset(wallClock, offset);
    }

    [GeneratedRegex(@"(Z|[+-](?<h>\d{2}):?(?<m>\d{2}))$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetSuffix();
}
