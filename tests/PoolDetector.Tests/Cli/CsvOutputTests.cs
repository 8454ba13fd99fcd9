using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Outputs;

using PoolDetector.Testing;

namespace PoolDetector.Tests.Cli;

public class CsvOutputTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("cr\rhere", "\"cr\rhere\"")]
    public void Quotes_per_rfc4180(string? value, string expected)
    {
        Assert.Equal(expected, CsvOutput.Escape(value));
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("\r=1", "\"'\r=1\"")]
    [InlineData("wallet=x", "wallet=x")]
    public void Neutralises_spreadsheet_formulas(string value, string expected)
    {
        Assert.Equal(expected, CsvOutput.Escape(value));
    }

    [Fact]
    public void Writes_header_and_one_crlf_row_per_detection()
    {
        var output = new StringWriter();
        var csv = new CsvOutput(output);
        csv.Write("caps/a.pcap", SampleDetections.DesignExample with
        {
            PoolAddress = IpAddress.Parse("2001:db8::1"),
            Vlans = [],
            Worker = "=cmd|' /C calc'!A0",
            SharesAccepted = 2,
        });
        csv.Complete(new AnalysisTotals());

        Assert.Equal(
            "file,time,src_ip,src_port,dest_ip,dest_port,category,dialect,confidence,agent,worker,algo,pool_host,shares_submitted,shares_accepted,evidence,mac,hostname,department,owner,contact\r\n" +
            "caps/a.pcap,2021-09-14T08:00:01.123456+0000,10.1.2.3,51234,2001:db8::1,3333,mining,stratum-v1,high,cgminer/4.10.0,'=cmd|' /C calc'!A0,,eu.pool.example,3,2,mining.subscribe|mining.notify,,,,,\r\n",
            output.ToString());
    }
}
