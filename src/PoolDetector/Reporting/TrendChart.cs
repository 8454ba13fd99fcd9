using System.Globalization;
using System.Text;

namespace PoolDetector.Reporting;

/// <summary>
/// Mining hosts per day as an inline SVG bar chart, drawn here so the HTML report needs no
/// script, library or font: it renders the same in a mail client, an archive and on paper.
/// One <c>rect class="bar"</c> per day (height 0 on a day without mining hosts), each with a
/// <c>title</c> tooltip and <c>data-day</c>/<c>data-hosts</c> for whoever reads the DOM.
/// </summary>
internal static class TrendChart
{
    // viewBox units; the left margin leaves room for the first day label, which is rotated to the left.
    private const double Width = 960;
    private const double Height = 300;
    private const double Left = 64;
    private const double Right = 12;
    private const double Top = 20;
    private const double Bottom = 78;

    /// <summary>Above this many bars the numbers over them would collide; the tooltips and the table still have them.</summary>
    private const int MaxValueLabels = 40;

    /// <summary>Day labels on the axis, at most: every n-th day is labelled beyond it.</summary>
    private const int MaxDayLabels = 16;

    public static string Svg(IReadOnlyList<TrendDay> days)
    {
        var max = days.Count == 0 ? 0 : days.Max(d => d.MiningHosts);
        var (top, step) = Scale(max);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var slot = plotWidth / Math.Max(days.Count, 1);
        var barWidth = Math.Max(slot * 0.7, 1);
        var labelEvery = (int)Math.Ceiling(days.Count / (double)MaxDayLabels);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"trend-title\">\n");
        svg.Append("<title id=\"trend-title\">Mining hosts per day</title>\n");

        // Grid lines and the count axis.
        for (var value = 0; value <= top; value += step)
        {
            var y = Top + plotHeight - (value / (double)top * plotHeight);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(Width - Right)}\" y2=\"{N(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{N(Left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{value}</text>\n");
        }

        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var x = Left + (i * slot) + ((slot - barWidth) / 2);
            var height = day.MiningHosts / (double)top * plotHeight;
            var y = Top + plotHeight - height;
            var dayText = ReportText.Day(day.Day);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"bar\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(barWidth)}\" height=\"{N(height)}\" data-day=\"{dayText}\" data-hosts=\"{day.MiningHosts}\"><title>{dayText}: {day.MiningHosts} mining host(s)</title></rect>");
            if (days.Count <= MaxValueLabels && day.MiningHosts > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{N(x + (barWidth / 2))}\" y=\"{N(y - 4)}\" text-anchor=\"middle\">{day.MiningHosts}</text>");
            }
            if (i % labelEvery == 0)
            {
                var lx = x + (barWidth / 2);
                var ly = Top + plotHeight + 14;
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{N(lx)}\" y=\"{N(ly)}\" text-anchor=\"end\" transform=\"rotate(-40 {N(lx)} {N(ly)})\">{dayText}</text>");
            }
            svg.Append('\n');
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"baseline\" x1=\"{N(Left)}\" y1=\"{N(Top + plotHeight)}\" x2=\"{N(Width - Right)}\" y2=\"{N(Top + plotHeight)}\"/>\n");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The axis top and tick step: whole hosts, a round step, at most about six ticks.</summary>
    private static (int Top, int Step) Scale(int max)
    {
        if (max <= 0)
        {
            return (1, 1);
        }
        var step = NiceStep(max);
        var top = (int)Math.Ceiling(max / (double)step) * step;
        return (top, step);
    }

    private static int NiceStep(int max)
    {
        for (var magnitude = 1; ; magnitude *= 10)
        {
            foreach (var candidate in new[] { 1, 2, 5 })
            {
                var step = candidate * magnitude;
                if (Math.Ceiling(max / (double)step) <= 6)
                {
                    return step;
                }
            }
        }
    }

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
