using System.Text.Encodings.Web;

namespace PoolDetector.Reporting;

/// <summary>
/// The report as one self-contained HTML file: inline CSS, the trend as inline SVG drawn by
/// <see cref="TrendChart"/>, no script, font, image or link to load, so it can be mailed,
/// archived as evidence and printed (A4 landscape, table headers repeated on every page). A
/// Content-Security-Policy forbids loading or running anything, as a second line behind the
/// encoding of every text that came from traffic, events or the inventory.
/// </summary>
internal static class HtmlReportWriter
{
    private const string Style = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 14px; color: #1b1f24; background: #fff; margin: 24px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid #1b1f24; padding-bottom: 2px; }
        h3 { font-size: 16px; margin: 22px 0 6px; }
        p.meta, p.note { color: #444; margin: 4px 0 10px; }
        table { border-collapse: collapse; margin: 6px 0 12px; }
        th, td { border: 1px solid #9aa3ad; padding: 3px 6px; vertical-align: top; text-align: left; }
        th { background: #e8ecf0; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        table.hosts { width: 100%; table-layout: fixed; font-size: 12.5px; }
        table.hosts td { overflow-wrap: anywhere; }
        table.hosts td.host b { font-weight: 600; }
        ul.cell { margin: 0; padding: 0; list-style: none; }
        .category { font-weight: 600; white-space: nowrap; }
        .category.mining { color: #a61b1b; }
        .category.pool-contact { color: #9a5b00; }
        .category.crypto-node { color: #34566f; }
        .flag { font-size: 11px; border: 1px solid currentColor; border-radius: 3px; padding: 0 3px; white-space: nowrap; }
        figure { margin: 8px 0 12px; max-width: 960px; }
        svg.trend { width: 100%; height: auto; display: block; }
        svg.trend .bar { fill: #c0392b; stroke: #6e1a12; stroke-width: 0.5; }
        svg.trend .grid { stroke: #d5dbe1; stroke-width: 1; }
        svg.trend .baseline { stroke: #1b1f24; stroke-width: 1; }
        svg.trend text { font-family: inherit; font-size: 11px; fill: #1b1f24; }
        svg.trend .value { font-weight: 600; }
        dl.totals { display: grid; grid-template-columns: max-content max-content; gap: 2px 16px; margin: 6px 0 12px; }
        dl.totals dt { color: #444; }
        dl.totals dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
        footer { margin-top: 28px; color: #555; font-size: 12px; }
        @page { size: A4 landscape; margin: 12mm; }
        @media print {
          body { margin: 0; font-size: 9pt; }
          a { color: inherit; text-decoration: none; }
          table.hosts { font-size: 8pt; }
          th { background: #e8ecf0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          thead { display: table-header-group; }
          tr, figure, dl.totals { break-inside: avoid; }
          h2, h3 { break-after: avoid; }
          svg.trend .bar { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """;

    public static void Write(MiningReport report, TextWriter output)
    {
        var p = report.Period;
        output.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        output.Write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
        output.Write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        output.Write($"<title>{E(ReportText.Title)}</title>\n<style>\n{Style}\n</style>\n</head>\n<body>\n");
        output.Write($"<header>\n<h1>{E(ReportText.Title)}</h1>\n<p class=\"meta\">Period: {E(ReportText.Period(report))}</p>\n</header>\n");

        output.Write("<section id=\"totals\">\n<h2>Totals</h2>\n<dl class=\"totals\">\n");
        foreach (var (name, value) in ReportText.Totals(report))
        {
            output.Write($"<dt>{E(name)}</dt><dd>{E(value)}</dd>\n");
        }
        output.Write("</dl>\n</section>\n");

        output.Write("<section id=\"trend\">\n<h2>Mining hosts per day</h2>\n");
        if (ReportText.TrendNote(report) is { } note)
        {
            output.Write($"<p class=\"note\">{E(note)}</p>\n");
        }
        if (report.Trend.Count > 0)
        {
            output.Write("<figure>\n");
            output.Write(TrendChart.Svg(report.Trend));
            output.Write($"\n<figcaption class=\"note\">Distinct hosts per day (in {E(p.ZoneName)}) with a mining flow, or pool contact of medium confidence or more, open that day.</figcaption>\n</figure>\n");
            output.Write("<table class=\"trend\">\n<thead><tr><th>day</th><th class=\"num\">mining hosts</th></tr></thead>\n<tbody>\n");
            foreach (var day in report.Trend)
            {
                output.Write($"<tr><td>{ReportText.Day(day.Day)}</td><td class=\"num\">{ReportText.Count(day.MiningHosts)}</td></tr>\n");
            }
            output.Write("</tbody>\n</table>\n");
        }
        output.Write("</section>\n");

        output.Write("<section id=\"departments\">\n<h2>Departments</h2>\n");
        if (report.Departments.Count == 0)
        {
            output.Write("<p>No detections in this period.</p>\n");
        }
        else
        {
            output.Write("<table class=\"departments\">\n<thead><tr><th>department</th><th class=\"num\">hosts</th><th class=\"num\">mining hosts</th><th class=\"num\">flows</th><th class=\"num\">bytes</th><th class=\"num\">shares accepted/submitted</th></tr></thead>\n<tbody>\n");
            for (var i = 0; i < report.Departments.Count; i++)
            {
                var d = report.Departments[i];
                output.Write($"<tr><td><a href=\"#department-{i + 1}\">{E(d.Name)}</a></td><td class=\"num\">{ReportText.Count(d.Hosts.Count)}</td><td class=\"num\">{ReportText.Count(d.MiningHosts)}</td><td class=\"num\">{ReportText.Count(d.Flows)}</td><td class=\"num\">{ReportText.Count(d.Bytes)}</td><td class=\"num\">{ReportText.Shares(d.SharesAccepted, d.SharesSubmitted)}</td></tr>\n");
            }
            output.Write("</tbody>\n</table>\n");
        }
        for (var i = 0; i < report.Departments.Count; i++)
        {
            WriteDepartment(report, report.Departments[i], i + 1, output);
        }
        output.Write("</section>\n");

        output.Write("<section id=\"inputs\">\n<h2>Inputs</h2>\n<table class=\"inputs\">\n<thead><tr><th>events file</th><th class=\"num\">lines</th><th class=\"num\">alerts</th><th class=\"num\">other events</th><th class=\"num\">broken lines</th><th>problem</th></tr></thead>\n<tbody>\n");
        foreach (var f in report.Inputs.Files)
        {
            output.Write($"<tr><td>{E(f.Path)}</td><td class=\"num\">{ReportText.Count(f.Lines)}</td><td class=\"num\">{ReportText.Count(f.Alerts)}</td><td class=\"num\">{ReportText.Count(f.Ignored)}</td><td class=\"num\">{ReportText.Count(f.Broken)}</td><td>{E(f.Error)}</td></tr>\n");
        }
        output.Write($"</tbody>\n</table>\n<p class=\"note\">{E(ReportText.InputNote(report))}</p>\n</section>\n");
        output.Write("<footer>Made by PoolDetector (pooldetector report) from its EVE alert events.</footer>\n</body>\n</html>\n");
    }

    private static void WriteDepartment(MiningReport report, DepartmentActivity d, int number, TextWriter output)
    {
        var p = report.Period;
        output.Write($"<section class=\"department\" id=\"department-{number}\">\n<h3>{E(d.Name)}</h3>\n");
        // Fixed column widths: wallets, hashes and paths wrap inside their column instead of
        // pushing the table off the page (on screen and on paper).
        output.Write("<table class=\"hosts\">\n<colgroup><col style=\"width:11%\"><col style=\"width:9%\"><col style=\"width:8%\"><col style=\"width:11%\"><col style=\"width:9%\"><col style=\"width:12%\"><col style=\"width:9%\"><col style=\"width:4%\"><col style=\"width:6%\"><col style=\"width:5%\"><col style=\"width:16%\"></colgroup>\n");
        output.Write("<thead><tr><th>host</th><th>owner</th><th>category</th><th>pools</th><th>software</th><th>workers</th><th>first seen, last seen</th><th class=\"num\">flows</th><th class=\"num\">bytes</th><th class=\"num\">shares</th><th>evidence files</th></tr></thead>\n<tbody>\n");
        foreach (var h in d.Hosts)
        {
            output.Write("<tr>");
            // The address first, then what else names the machine: VLAN, DHCP name, MAC.
            output.Write($"<td class=\"host\"><b>{E(h.Address.ToString())}</b>{(h.Vlans.Count > 0 ? "<br>VLAN " + E(string.Join(", ", h.Vlans)) : "")}{string.Concat(h.Hostnames.Concat(h.Macs).Select(n => "<br>" + E(n)))}</td>");
            output.Write($"<td>{E(h.Owner)}{(h.Owner is not null && h.Contact is not null ? "<br>" : "")}{E(h.Contact)}</td>");
            var category = ReportText.Category(h);
            output.Write($"<td><span class=\"category {category}\">{category}</span> ({ReportText.Confidence(h)}){(h.IsMining ? " <span class=\"flag\">mining host</span>" : "")}</td>");
            output.Write($"<td>{List(h.Pools.Select(pool => pool.PoolHosts.Count > 0 ? $"{pool.Endpoint} ({string.Join(", ", pool.PoolHosts)})" : pool.Endpoint))}</td>");
            output.Write($"<td>{List(h.Software)}</td>");
            output.Write($"<td>{List(h.Workers)}</td>");
            output.Write($"<td class=\"time\">{ReportText.Time(p, h.FirstSeen)}<br>{ReportText.Time(p, h.LastSeen)}</td>");
            output.Write($"<td class=\"num\">{ReportText.Count(h.Flows)}</td>");
            output.Write($"<td class=\"num\">{ReportText.Count(h.Bytes)}</td>");
            output.Write($"<td class=\"num\">{ReportText.Shares(h.SharesAccepted, h.SharesSubmitted)}</td>");
            output.Write($"<td>{List(h.EvidenceFiles.Select(f => f.ToString()))}</td>");
            output.Write("</tr>\n");
        }
        output.Write("</tbody>\n</table>\n</section>\n");
    }

    private static string List(IEnumerable<string> values)
    {
        var items = values.Select(v => $"<li>{E(v)}</li>").ToList();
        return items.Count == 0 ? "" : $"<ul class=\"cell\">{string.Concat(items)}</ul>";
    }

    /// <summary>HTML-encodes text from anywhere but this code: every markup character and everything outside ASCII.</summary>
    private static string E(string? text) => string.IsNullOrEmpty(text) ? "" : HtmlEncoder.Default.Encode(text);
}
