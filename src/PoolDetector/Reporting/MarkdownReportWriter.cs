using System.Text;

namespace PoolDetector.Reporting;

/// <summary>
/// The report as GitHub-flavoured Markdown, for a ticket, a wiki page or a mail: totals, the
/// trend as a table, a summary per department, then each department's hosts.
/// </summary>
internal static class MarkdownReportWriter
{
    public static void Write(MiningReport report, TextWriter output)
    {
        var p = report.Period;
        output.Write($"# {ReportText.Title}\n\n");
        output.Write($"Period: {Escape(ReportText.Period(report))}\n\n");

        output.Write("## Totals\n\n| total | value |\n| --- | ---: |\n");
        foreach (var (name, value) in ReportText.Totals(report))
        {
            output.Write($"| {name} | {value} |\n");
        }

        output.Write("\n## Mining hosts per day\n\n");
        if (ReportText.TrendNote(report) is { } note)
        {
            output.Write($"{note}\n\n");
        }
        if (report.Trend.Count > 0)
        {
            output.Write("| day | mining hosts |\n| --- | ---: |\n");
            foreach (var day in report.Trend)
            {
                output.Write($"| {ReportText.Day(day.Day)} | {ReportText.Count(day.MiningHosts)} |\n");
            }
            output.Write('\n');
        }

        output.Write("## Departments\n\n");
        if (report.Departments.Count == 0)
        {
            output.Write("No detections in this period.\n\n");
        }
        else
        {
            output.Write("| department | hosts | mining hosts | flows | bytes | shares accepted/submitted |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var d in report.Departments)
            {
                output.Write($"| {Escape(d.Name)} | {ReportText.Count(d.Hosts.Count)} | {ReportText.Count(d.MiningHosts)} | {ReportText.Count(d.Flows)} | {ReportText.Count(d.Bytes)} | {ReportText.Shares(d.SharesAccepted, d.SharesSubmitted)} |\n");
            }
            output.Write('\n');
        }

        foreach (var d in report.Departments)
        {
            output.Write($"### {Escape(d.Name)}\n\n");
            output.Write("| host | name, MAC | owner | category | pools | software | workers | first seen | last seen | flows | bytes | shares | evidence files |\n");
            output.Write("| --- | --- | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |\n");
            foreach (var h in d.Hosts)
            {
                var cells = new[]
                {
                    Escape(h.Address.ToString()) + (h.Vlans.Count > 0 ? " (VLAN " + Escape(string.Join(", ", h.Vlans)) + ")" : ""),
                    List(h.Hostnames.Concat(h.Macs)),
                    Owner(h),
                    $"{ReportText.Category(h)} ({ReportText.Confidence(h)}{(h.IsMining ? ", mining host" : "")})",
                    List(h.Pools.Select(PoolLabel)),
                    List(h.Software),
                    List(h.Workers),
                    ReportText.Time(p, h.FirstSeen),
                    ReportText.Time(p, h.LastSeen),
                    ReportText.Count(h.Flows),
                    ReportText.Count(h.Bytes),
                    ReportText.Shares(h.SharesAccepted, h.SharesSubmitted),
                    List(h.EvidenceFiles.Select(f => f.ToString())),
                };
                output.Write("| " + string.Join(" | ", cells) + " |\n");
            }
            output.Write('\n');
        }

        output.Write("## Inputs\n\n| events file | lines | alerts | other events | broken lines | problem |\n| --- | ---: | ---: | ---: | ---: | --- |\n");
        foreach (var f in report.Inputs.Files)
        {
            output.Write($"| {Escape(f.Path)} | {ReportText.Count(f.Lines)} | {ReportText.Count(f.Alerts)} | {ReportText.Count(f.Ignored)} | {ReportText.Count(f.Broken)} | {Escape(f.Error)} |\n");
        }
        output.Write($"\n{ReportText.InputNote(report)}\n");
    }

    private static string PoolLabel(PoolActivity pool) =>
        pool.PoolHosts.Count > 0 ? $"{pool.Endpoint} ({string.Join(", ", pool.PoolHosts)})" : pool.Endpoint;

    private static string Owner(HostActivity host) => (host.Owner, host.Contact) switch
    {
        ({ } owner, { } contact) => $"{Escape(owner)} ({Escape(contact)})",
        ({ } owner, null) => Escape(owner),
        (null, { } contact) => Escape(contact),
        _ => "",
    };

    private static string List(IEnumerable<string> values) => string.Join(", ", values.Select(Escape));

    /// <summary>
    /// Worker names, agents and host names come off the wire, departments from files: in a table
    /// cell, a <c>|</c> would add a column, a newline end the table, <c>&lt;</c> open raw HTML,
    /// <c>[</c>, <c>*</c>, <c>_</c> or a backtick make links and emphasis. CommonMark lets any ASCII
    /// punctuation be backslash-escaped; control characters become spaces or U+FFFD.
    /// </summary>
    internal static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\t' or '\r' or '\n')
            {
                escaped.Append(' ');
            }
            else if (char.IsControl(c))
            {
                escaped.Append('\uFFFD');
            }
            else
            {
                if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '&' or '~' or '#' or '!')
                {
                    escaped.Append('\\');
                }
                escaped.Append(c);
            }
        }
        return escaped.ToString();
    }
}
