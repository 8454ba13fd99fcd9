using System.Text;
using PoolDetector.Core.Events;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Syslog;
using PoolDetector.Testing;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>The RFC 5424 message and RFC 6587 frame, byte for byte.</summary>
public class SyslogMessageTests
{
    private static QueuedAlert Alert(int severity = 1) =>
        new(EveJson.ToJson(SampleDetections.DesignExample), severity, SampleDetections.DesignExample.TimestampMicros);

    [Fact]
    public void The_design_example_as_a_udp_message()
    {
        var alert = Alert();
        var bytes = SyslogMessage.Format(alert, facility: 16, "sensor-1", 4242, maxBytes: 8192, octetCounting: false, out var truncated);
        Assert.False(truncated);
        // local0 (16) * 8 + err (3): mining is severity 1.
        Assert.Equal("<131>1 2021-09-14T08:00:01.123456Z sensor-1 pooldetector 4242 alert - " + alert.Json, Encoding.ASCII.GetString(bytes));
        var parsed = RsyslogReceiver.Parse(Encoding.ASCII.GetString(bytes));
        Assert.NotNull(parsed);
        Assert.Equal(alert.Json, parsed.Msg);
    }

    [Fact]
    public void Tcp_frames_count_octets()
    {
        var alert = Alert();
        var message = SyslogMessage.Format(alert, 16, "h", 1, 8192, octetCounting: false, out _);
        var frame = Encoding.ASCII.GetString(SyslogMessage.Format(alert, 16, "h", 1, 8192, octetCounting: true, out _));
        Assert.Equal($"{message.Length} {Encoding.ASCII.GetString(message)}", frame);
    }

    [Fact]
    public void A_message_over_the_limit_is_cut_to_exactly_the_limit()
    {
        var alert = Alert();
        var bytes = SyslogMessage.Format(alert, 16, "sensor-1", 4242, maxBytes: 480, octetCounting: false, out var truncated);
        Assert.True(truncated);
        Assert.Equal(480, bytes.Length);
        var text = Encoding.ASCII.GetString(bytes);
        Assert.StartsWith("<131>1 ", text, StringComparison.Ordinal);
        Assert.StartsWith(RsyslogReceiver.Parse(text)!.Msg, alert.Json, StringComparison.Ordinal);

        var frame = Encoding.ASCII.GetString(SyslogMessage.Format(alert, 16, "sensor-1", 4242, maxBytes: 480, octetCounting: true, out _));
        Assert.StartsWith("480 <131>1 ", frame, StringComparison.Ordinal);
        Assert.Equal(484, frame.Length);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(4, 6)]
    public void Severity_follows_the_alert(int eveSeverity, int syslogSeverity)
    {
        Assert.Equal(syslogSeverity, SyslogMessage.Severity(eveSeverity));
        var bytes = SyslogMessage.Format(Alert(eveSeverity), facility: 4, "h", 1, 8192, false, out _);
        Assert.Equal(4 * 8 + syslogSeverity, RsyslogReceiver.Parse(Encoding.ASCII.GetString(bytes))!.Pri);
    }

    [Theory]
    [InlineData("local0", 16)]
    [InlineData("LOCAL7", 23)]
    [InlineData("auth", 4)]
    [InlineData("user", 1)]
    [InlineData("0", 0)]
    [InlineData("23", 23)]
    [InlineData("24", -1)]
    [InlineData("-1", -1)]
    [InlineData("local8", -1)]
    [InlineData("", -1)]
    public void Facilities_by_name_or_number(string text, int code) => Assert.Equal(code, SyslogMessage.ParseFacility(text));

    [Theory]
    [InlineData("sensor-1.campus.example", "sensor-1.campus.example")]
    [InlineData("with space", "withspace")]
    [InlineData("", "-")]
    [InlineData("\u00e9t\u00e9", "t")]
    public void Host_names_are_printable_ascii(string name, string expected) => Assert.Equal(expected, SyslogMessage.HostName(name));

    [Fact]
    public void A_time_no_calendar_holds_is_the_nil_value() => Assert.Equal("-", SyslogMessage.Timestamp(0));
}
