using System.Globalization;
using System.Text;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using Spectre.Console;

namespace PoolDetector.Outputs;

/// <summary>
/// The default, for people: one row per detection and a totals line. Plain text (no ANSI
/// codes, ASCII borders) when stdout is not a terminal, so it can be mailed or attached.
/// </summary>
internal sealed class TableOutput : IDetectionOutput
{
    private readonly IAnsiConsole _console;
    private readonly List<(string File, MiningDetection Detection)> _rows = [];

    public TableOutput(TextWriter output, bool isTerminal)
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!isTerminal)
        {
            // Spectre assumes 80 columns without a terminal and would wrap every row.
            _console.Profile.Width = 240;
            _console.Profile.Capabilities.Unicode = false;
        }
    }

    public void Write(string file, MiningDetection detection) => _rows.Add((file, detection));

    public void Complete(AnalysisTotals totals)
    {
        if (_rows.Count > 0)
        {
            var table = new Table();
            if (!_console.Profile.Capabilities.Unicode)
            {
                table.Border(TableBorder.Ascii);
            }
            // The host column only when attribution named one: captures without it print as before.
            var withHost = _rows.Exists(r => r.Detection.Host is not null);
            foreach (var column in new[] { "file", "miner", "pool", "category", "dialect", "confidence", "agent", "worker", "shares" })
            {
                table.AddColumn(column);
            }
            if (withHost)
            {
                table.AddColumn("host");
            }
            foreach (var (file, d) in _rows)
            {
                var cells = new List<Text>(10)
                {
                    Cell(file),
                    Cell(Endpoint(d.MinerAddress.ToString(), d.MinerPort)),
                    Cell(Endpoint(d.PoolAddress.ToString(), d.PoolPort)),
                    Cell(d.Category.ToWireName()),
                    Cell(d.Dialect),
                    Cell(d.Confidence.ToWireName()),
                    Cell(d.Agent ?? "-"),
                    Cell(d.Worker ?? "-"),
                    Cell($"{d.SharesAccepted}/{d.SharesSubmitted}"),
                };
                if (withHost)
                {
                    cells.Add(Cell(Host(d.Host)));
                }
                table.AddRow(cells);
            }
            _console.Write(table);
        }
        _console.WriteLine(SummaryLine(totals));
    }

    public static string SummaryLine(AnalysisTotals totals)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{totals.FilesAnalysed} file(s) analysed");
        if (totals.FilesUnreadable > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", {totals.FilesUnreadable} unreadable");
        }
        text.Append(CultureInfo.InvariantCulture, $", {totals.Packets} packets, {totals.Flows} flows; detections: ");
        text.Append(CultureInfo.InvariantCulture, $"{totals.Detections(DetectionCategory.Mining)} mining, ");
        text.Append(CultureInfo.InvariantCulture, $"{totals.Detections(DetectionCategory.PoolContact)} pool-contact, ");
        text.Append(CultureInfo.InvariantCulture, $"{totals.Detections(DetectionCategory.CryptoNode)} crypto-node");
        return text.ToString();
    }

    /// <summary>Name (else MAC), then the responsible department: <c>lab-pc-17 (Physics)</c>.</summary>
    private static string Host(HostAttribution? host)
    {
        if (host is null)
        {
            return "-";
        }
        var who = host.Hostname ?? host.Mac ?? "-";
        return host.Department is null ? who : $"{who} ({host.Department})";
    }

    private static string Endpoint(string address, ushort port) => address.Contains(':', StringComparison.Ordinal)
        ? $"[{address}]:{port}"
        : $"{address}:{port}";

    /// <summary>
    /// Cells hold traffic-derived text; <see cref="Text"/> never interprets markup, and
    /// control characters (C0, DEL, C1), line and paragraph separators (U+2028, U+2029) and
    /// format characters (bidirectional overrides) are shown as escapes, so a worker name can
    /// neither drive the terminal nor break or reorder a row.
    /// </summary>
    private static Text Cell(string value) => new(Printable(value));

    internal static string Printable(string value)
    {
        if (!value.Any(IsUnsafe))
        {
            return value;
        }
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (!IsUnsafe(c))
            {
                text.Append(c);
            }
            else if (c < 0x100)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }
        return text.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is
        UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format;
}
