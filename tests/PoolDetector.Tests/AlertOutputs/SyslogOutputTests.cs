using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Syslog;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>
/// The syslog output under the daemon's real <see cref="AlertDispatcher"/>, received by a real
/// rsyslogd the test starts on loopback: every alert arrives as an RFC 5424 message whose MSG
/// is the EVE file's line, over UDP and over TCP with octet counting; a TCP receiver that is
/// down is waited for and reconnected to.
/// </summary>
public sealed class SyslogOutputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static SyslogOutput Output(int port, SyslogTransport transport, int facility, int maxBytes = 8192, int capacity = 4096) =>
        new(new SyslogSettings(new IPEndPoint(IPAddress.Loopback, port), transport, facility, maxBytes, capacity)
        {
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(400),
        }, new OutputCounters(), NullLogger<SyslogOutput>.Instance);

    [ProgramFact(RsyslogReceiver.Program)]
    public async Task Every_alert_reaches_rsyslog_over_udp_and_tcp_as_rfc5424_with_the_eve_line_as_msg()
    {
        using var rsyslog = RsyslogReceiver.Create();
        // Two facilities, so the PRI is seen to carry each output's own.
        using var udp = Output(rsyslog.UdpPort, SyslogTransport.Udp, facility: 19); // local3
        using var tcp = Output(rsyslog.TcpPort, SyslogTransport.Tcp, facility: 4); // auth
        using var rig = new DispatcherRig(udp, tcp);
        await udp.StartAsync(CancellationToken.None);
        await tcp.StartAsync(CancellationToken.None);

        var detections = DispatcherRig.CorpusDetections();
        foreach (var detection in detections)
        {
            rig.Dispatcher.OnDetection(detection);
        }
        var eve = rig.EveLines();
        Assert.Equal(detections.Count, eve.Count);
        Assert.True(rsyslog.WaitForMessages(2 * eve.Count, Timeout), $"rsyslog got {rsyslog.RawMessages().Count} of {2 * eve.Count}\n{rsyslog.Describe()}");
        await udp.StopAsync(CancellationToken.None);
        await tcp.StopAsync(CancellationToken.None);
        output.WriteLine($"{eve.Count} alerts, e.g.\n{rsyslog.RawMessages()[0]}");

        // Our own RFC 5424 parse of what rsyslog received (%rawmsg%).
        var severities = eve.ToDictionary(line => line, line => JsonDocument.Parse(line).RootElement.GetProperty("alert").GetProperty("severity").GetInt32());
        var raw = rsyslog.RawMessages();
        Assert.Equal(2 * eve.Count, raw.Count);
        var byFacility = new Dictionary<int, List<string>> { [19] = [], [4] = [] };
        foreach (var message in raw)
        {
            var parsed = RsyslogReceiver.Parse(message);
            Assert.True(parsed is not null, "not RFC 5424: " + message);
            Assert.Equal(1, parsed.Version);
            Assert.Equal("pooldetector", parsed.AppName);
            Assert.Equal("alert", parsed.MsgId);
            Assert.Equal("-", parsed.StructuredData);
            Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), parsed.ProcId);
            Assert.True(severities.TryGetValue(parsed.Msg, out var severity), "MSG is not an EVE line: " + parsed.Msg);
            var facility = parsed.Pri / 8;
            Assert.Equal(SyslogMessage.Severity(severity), parsed.Pri % 8);
            byFacility[facility].Add(parsed.Msg);
            // The alert's own time, to the microsecond.
            var timestamp = JsonDocument.Parse(parsed.Msg).RootElement.GetProperty("timestamp").GetString()!;
            Assert.Equal(timestamp[..26] + "Z", parsed.Timestamp);
        }
        // TCP keeps the order; loopback UDP loses nothing here, order aside.
        Assert.Equal(eve, byFacility[4]);
        Assert.Equal(eve.Order(StringComparer.Ordinal), byFacility[19].Order(StringComparer.Ordinal));

        // rsyslog's own parser took them as RFC 5424 (protocol version 1) with the same fields.
        var rsyslogView = rsyslog.ParsedMessages();
        Assert.Equal(2 * eve.Count, rsyslogView.Count);
        Assert.All(rsyslogView, m =>
        {
            Assert.Equal("1", m.ProtocolVersion);
            Assert.Equal("pooldetector", m.AppName);
            Assert.Equal("alert", m.MsgId);
            Assert.Contains(m.Msg, severities.Keys);
        });
        Assert.Equal(eve, rsyslogView.Where(m => m.Input == "imtcp").Select(m => m.Msg));
        Assert.All(rsyslogView.Where(m => m.Input == "imtcp"), m => Assert.Equal("4", m.Facility));
        Assert.All(rsyslogView.Where(m => m.Input == "imudp"), m => Assert.Equal("19", m.Facility));

        foreach (var counters in new[] { udp.Counters, tcp.Counters })
        {
            Assert.Equal(eve.Count, Volatile.Read(ref counters.Sent));
            Assert.Equal(0, Volatile.Read(ref counters.Dropped));
            Assert.Equal(0, Volatile.Read(ref counters.Failed));
        }
    }

    [ProgramFact(RsyslogReceiver.Program)]
    public async Task A_tcp_receiver_that_is_down_is_waited_for_and_reconnected_to_after_a_restart()
    {
        using var rsyslog = RsyslogReceiver.Create(start: false);
        using var tcp = Output(rsyslog.TcpPort, SyslogTransport.Tcp, facility: 16);
        using var rig = new DispatcherRig(tcp);
        await tcp.StartAsync(CancellationToken.None);
        var detections = DispatcherRig.CorpusDetections();

        // Down: the alerts wait (one in the worker's hands, the rest queued), nothing lost.
        foreach (var detection in detections.Take(5))
        {
            rig.Dispatcher.OnDetection(detection);
        }
        Thread.Sleep(1000);
        var counters = tcp.Counters;
        Assert.Equal(0, Volatile.Read(ref counters.Sent));
        Assert.InRange(counters.QueueDepth, 4, 5);

        // Up: they arrive, in order.
        rsyslog.Start();
        Assert.True(rsyslog.WaitForMessages(5, Timeout), "nothing after rsyslog started:\n" + rsyslog.Describe());

        // Restarted (it closes our connection): the next alerts go over a new one, none lost.
        rsyslog.Restart();
        foreach (var detection in detections.Skip(5).Take(5))
        {
            rig.Dispatcher.OnDetection(detection);
        }
        Assert.True(rsyslog.WaitForMessages(10, Timeout), $"{rsyslog.RawMessages().Count} of 10 after the restart:\n{rsyslog.Describe()}");
        await tcp.StopAsync(CancellationToken.None);
        var received = rsyslog.RawMessages().Select(m => RsyslogReceiver.Parse(m)!.Msg).ToList();
        Assert.Equal(rig.EveLines(), received);
        Assert.Equal(10, Volatile.Read(ref counters.Sent));
        Assert.Equal(0, Volatile.Read(ref counters.Dropped));
    }

    [ProgramFact(RsyslogReceiver.Program)]
    public async Task A_udp_message_over_the_limit_is_cut_to_it_and_counted()
    {
        using var rsyslog = RsyslogReceiver.Create();
        using var udp = Output(rsyslog.UdpPort, SyslogTransport.Udp, facility: 16, maxBytes: 480);
        using var rig = new DispatcherRig(udp);
        await udp.StartAsync(CancellationToken.None);
        rig.Dispatcher.OnDetection(DispatcherRig.CorpusDetections()[0]);
        Assert.True(rsyslog.WaitForMessages(1, Timeout), rsyslog.Describe());
        await udp.StopAsync(CancellationToken.None);

        var message = Assert.Single(rsyslog.RawMessages());
        Assert.Equal(480, System.Text.Encoding.UTF8.GetByteCount(message));
        var eve = Assert.Single(rig.EveLines());
        Assert.StartsWith(RsyslogReceiver.Parse(message)!.Msg, eve, StringComparison.Ordinal);
        var counters = udp.Counters;
        Assert.Equal(1, Volatile.Read(ref counters.Truncated));
        Assert.Equal(1, Volatile.Read(ref counters.Sent));
    }
}
