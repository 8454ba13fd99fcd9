using PoolDetector.Outputs;

namespace PoolDetector.Reporting;

/// <summary>
/// One row per host and pool endpoint, for spreadsheets and other tools: RFC 4180, CRLF, the
/// formula-safe cells of analyze's CSV; lists joined with <c>|</c>; times ISO 8601 in the
/// report's zone; raw numbers. Totals and the trend are a pivot away, so they are not rows.
/// </summary>
internal static class CsvReportWriter
{
    public const string Header = "department,host,hostname,mac,owner,contact,vlan,mining_host,pool,pool_port,pool_host,category,confidence,dialect,software,worker,first_seen,last_seen,flows,packets,bytes,shares_submitted,shares_accepted,evidence_files";

    public static void Write(MiningReport report, TextWriter output)
    {
        output.Write(Header);
        output.Write("\r\n");
        var p = report.Period;
        foreach (var department in report.Departments)
        {
            foreach (var host in department.Hosts)
            {
                foreach (var pool in host.Pools)
                {
                    string?[] cells =
                    [
                        department.Name,
                        host.Address.ToString(),
                        Join(host.Hostnames),
                        Join(host.Macs),
                        host.Owner,
                        host.Contact,
                        Join(pool.Vlans),
                        host.IsMining ? "yes" : "no",
                        pool.Address.ToString(),
                        ReportText.Raw(pool.Port),
                        Join(pool.PoolHosts),
                        ReportText.Category(pool),
                        ReportText.Confidence(pool),
                        Join(pool.Dialects),
                        Join(pool.Software),
                        Join(pool.Workers),
                        ReportText.IsoTime(p, pool.FirstSeen),
                        ReportText.IsoTime(p, pool.LastSeen),
                        ReportText.Raw(pool.Flows),
                        ReportText.Raw(pool.Packets),
                        ReportText.Raw(pool.Bytes),
                        ReportText.Raw(pool.SharesSubmitted),
                        ReportText.Raw(pool.SharesAccepted),
                        Join(pool.EvidenceFiles.Select(f => f.ToString())),
                    ];
                    output.Write(string.Join(',', cells.Select(CsvOutput.Escape)));
                    output.Write("\r\n");
                }
            }
        }
    }

    private static string Join(IEnumerable<string> values) => string.Join('|', values);
}
