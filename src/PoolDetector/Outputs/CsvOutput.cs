using System.Globalization;
using System.Text;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs;

/// <summary>One row per detection for spreadsheets: RFC 4180, and safe to open in one.</summary>
internal sealed class CsvOutput : IDetectionOutput
{
    /// <remarks>The internal host's attribution comes last, so columns a spreadsheet already reads keep their places.</remarks>
    public const string Header = "file,time,src_ip,src_port,dest_ip,dest_port,category,dialect,confidence,agent,worker,algo,pool_host,shares_submitted,shares_accepted,evidence,mac,hostname,department,owner,contact";

    private readonly TextWriter _output;
    private readonly StringBuilder _row = new(256);

    private bool _headerWritten;

    public CsvOutput(TextWriter output)
    {
        _output = output;
    }

    public void Write(string file, MiningDetection detection)
    {
        WriteHeaderOnce();
        var d = detection;
        _row.Clear();
        Cell(file).Append(',');
        Cell(EveJson.FormatTimestamp(d.TimestampMicros)).Append(',');
        Cell(d.MinerAddress.ToString()).Append(',');
        Cell(d.MinerPort.ToString(CultureInfo.InvariantCulture)).Append(',');
        Cell(d.PoolAddress.ToString()).Append(',');
        Cell(d.PoolPort.ToString(CultureInfo.InvariantCulture)).Append(',');
        Cell(d.Category.ToWireName()).Append(',');
        Cell(d.Dialect).Append(',');
        Cell(d.Confidence.ToWireName()).Append(',');
        Cell(d.Agent).Append(',');
        Cell(d.Worker).Append(',');
        Cell(d.Algorithm).Append(',');
        Cell(d.PoolHost).Append(',');
        Cell(d.SharesSubmitted.ToString(CultureInfo.InvariantCulture)).Append(',');
        Cell(d.SharesAccepted.ToString(CultureInfo.InvariantCulture)).Append(',');
        Cell(string.Join('|', d.Evidence)).Append(',');
        Cell(d.Host?.Mac).Append(',');
        Cell(d.Host?.Hostname).Append(',');
        Cell(d.Host?.Department).Append(',');
        Cell(d.Host?.Owner).Append(',');
        Cell(d.Host?.Contact);
        _row.Append("\r\n");
        _output.Write(_row);
    }

    public void Complete(AnalysisTotals totals)
    {
        // A run with no detections still prints the header; a run stopped by bad
        // configuration never gets here and leaves stdout empty.
        WriteHeaderOnce();
        _output.Flush();
    }

    private void WriteHeaderOnce()
    {
        if (!_headerWritten)
        {
            // RFC 4180 lines end in CRLF.
            _output.Write(Header);
            _output.Write("\r\n");
            _headerWritten = true;
        }
    }

    private StringBuilder Cell(string? value)
    {
        _row.Append(Escape(value));
        return _row;
    }

    /// <summary>
    /// RFC 4180 quoting, plus the OWASP CSV-injection defence: traffic-derived text (a worker
    /// name such as <c>=HYPERLINK(...)</c>) must not become a live formula when an analyst
    /// opens the file, so a cell starting with = + - @ (or tab/CR, which some spreadsheets
    /// skip before those) gets a leading apostrophe.
    /// </summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return value;
        }
        return "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
