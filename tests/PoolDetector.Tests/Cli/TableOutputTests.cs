using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Outputs;

namespace PoolDetector.Tests.Cli;

public class TableOutputTests
{
    [Fact]
    public void Shows_control_characters_as_escapes()
    {
        Assert.Equal("rig\\x1b[31m\\x0a1", TableOutput.Printable("rig\u001b[31m\n1"));
        Assert.Equal("plain é", TableOutput.Printable("plain é"));
        // Line separators and bidirectional overrides break or reorder a row on a Unicode terminal.
        Assert.Equal("a\\u2028b\\u2029c\\u202ed\\x85e", TableOutput.Printable("a\u2028b\u2029c\u202ed\u0085e"));
    }

    [Fact]
    public void Redirected_table_is_plain_text_with_totals()
    {
        var output = new StringWriter();
        var totals = new AnalysisTotals { FilesAnalysed = 2, FilesUnreadable = 1, Packets = 319, Flows = 4 };
        totals.DetectionsByCategory[(int)DetectionCategory.Mining] = 2;
        totals.DetectionsByCategory[(int)DetectionCategory.CryptoNode] = 1;

        new TableOutput(output, isTerminal: false).Complete(totals);

        Assert.Equal(
            "2 file(s) analysed, 1 unreadable, 319 packets, 4 flows; detections: 2 mining, 0 pool-contact, 1 crypto-node" + Environment.NewLine,
            output.ToString());
        Assert.DoesNotContain('\u001b', output.ToString());
    }
}
