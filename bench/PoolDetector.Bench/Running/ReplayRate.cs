using System.Globalization;

namespace PoolDetector.Bench.Running;

/// <summary>
/// A rate tcpreplay sends the capture at in the live mode: packets per second (<c>50k</c>,
/// <c>120000</c>), a multiple of the capture's own timing (<c>1x</c>: as it was recorded,
/// bursts and all), or as fast as it can (<c>top</c>). Public for the tests (the generator's
/// reason too).
/// </summary>
public sealed record ReplayRate(string Label, long? PacketsPerSecond, double? Multiplier)
{
    /// <summary>
    /// The recorded timing first (about 61,000 packets/s on average for the default capture),
    /// then a ladder up to full speed; the live mode bisects between the highest step without
    /// loss and the lowest with.
    /// </summary>
    public const string DefaultLadder = "1x,25k,50k,100k,200k,300k,top";

    public bool TopSpeed => PacketsPerSecond is null && Multiplier is null;

    /// <summary>tcpreplay's rate option for this rate.</summary>
    public string TcpreplayArgument =>
        PacketsPerSecond is { } pps ? "--pps=" + pps.ToString(CultureInfo.InvariantCulture)
        : Multiplier is { } multiplier ? "--multiplier=" + multiplier.ToString(CultureInfo.InvariantCulture)
        : "--topspeed";

    public static ReplayRate Top { get; } = new("topspeed", null, null);

    public static ReplayRate Pps(long packetsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(packetsPerSecond);
        var label = packetsPerSecond % 1000 == 0
            ? (packetsPerSecond / 1000).ToString(CultureInfo.InvariantCulture) + "k pps"
            : packetsPerSecond.ToString(CultureInfo.InvariantCulture) + " pps";
        return new ReplayRate(label, packetsPerSecond, null);
    }

    /// <summary>One rate: <c>top</c> or <c>topspeed</c>, <c>Nx</c> (a multiplier), <c>N</c> or <c>Nk</c> (packets per second).</summary>
    public static bool TryParse(string text, out ReplayRate rate, out string problem)
    {
        rate = Top;
        problem = "";
        var value = text.Trim().ToLowerInvariant();
        if (value is "top" or "topspeed")
        {
            return true;
        }
        if (value.EndsWith('x'))
        {
            if (double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var multiplier) && multiplier > 0 && double.IsFinite(multiplier))
            {
                rate = new ReplayRate(multiplier.ToString(CultureInfo.InvariantCulture) + "x recorded", null, multiplier);
                return true;
            }
            problem = $"'{text}': a multiplier is a positive number before x (1x: the capture's own timing)";
            return false;
        }
        var scale = value.EndsWith('k') ? 1000 : 1;
        var digits = scale == 1 ? value : value[..^1];
        if (double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var count) && count * scale >= 1 && count * scale <= 100_000_000)
        {
            rate = Pps((long)Math.Round(count * scale));
            return true;
        }
        problem = $"'{text}': expected packets per second (50000, 50k), a multiplier (1x) or top";
        return false;
    }

    /// <summary>A comma-separated list of rates, in the order given.</summary>
    public static bool TryParseList(string text, out IReadOnlyList<ReplayRate> rates, out string problem)
    {
        var parsed = new List<ReplayRate>();
        rates = parsed;
        problem = "";
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParse(item, out var rate, out problem))
            {
                return false;
            }
            if (parsed.Contains(rate))
            {
                problem = $"'{item}': given twice";
                return false;
            }
            parsed.Add(rate);
        }
        if (parsed.Count == 0)
        {
            problem = "no rate given";
            return false;
        }
        return true;
    }
}
