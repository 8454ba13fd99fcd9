using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>
/// Debian's rsyslogd as the syslog receiver, started by the test with a configuration of its
/// own in a temp folder (<c>rsyslogd -n -f CONF -i PIDFILE</c>): imudp and imtcp on
/// 127.0.0.1 high ports, every message written twice by omfile, once as received
/// (<c>%rawmsg%</c>: the RFC 5424 message the test parses itself) and once as rsyslog's own
/// RFC 5424 parser understood it (protocol version, PRI, APP-NAME, MSGID, MSG). Killed (by its
/// process id) and its folder deleted on Dispose; <see cref="Restart"/> starts it again on the
/// same ports.
/// </summary>
internal sealed partial class RsyslogReceiver : IDisposable
{
    public const string Program = "rsyslogd";

    private readonly string _config;
    private ChildProcess? _process;

    private RsyslogReceiver(string directory, int udpPort, int tcpPort)
    {
        Directory = directory;
        UdpPort = udpPort;
        TcpPort = tcpPort;
        _config = Path.Combine(directory, "rsyslog.conf");
        // Templates end each record with a newline; the TAB-separated parsed form has MSG last.
        File.WriteAllText(_config, $$"""
            global(workDirectory="{{directory}}" maxMessageSize="64k")
            module(load="imudp")
            module(load="imtcp")
            input(type="imudp" address="127.0.0.1" port="{{udpPort}}" ruleset="pd")
            input(type="imtcp" address="127.0.0.1" port="{{tcpPort}}" ruleset="pd")
            template(name="raw" type="string" string="%rawmsg%\n")
            template(name="parsed" type="string" string="%inputname%\t%protocol-version%\t%pri%\t%syslogfacility%\t%syslogseverity%\t%app-name%\t%msgid%\t%structured-data%\t%msg%\n")
            ruleset(name="pd") {
              action(type="omfile" file="{{RawLog}}" template="raw" flushOnTXEnd="on" asyncWriting="off")
              action(type="omfile" file="{{ParsedLog}}" template="parsed" flushOnTXEnd="on" asyncWriting="off")
            }
            """);
    }

    public string Directory { get; }

    public int UdpPort { get; }

    public int TcpPort { get; }

    public string RawLog => Path.Combine(Directory, "raw.log");

    public string ParsedLog => Path.Combine(Directory, "parsed.log");

    public static string? Executable => EndToEndPrerequisites.FindProgram(Program);

    /// <summary>A receiver on fresh ports; not started when <paramref name="start"/> is false (a receiver that is down).</summary>
    public static RsyslogReceiver Create(bool start = true)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("pooldetector-rsyslog-").FullName;
        var receiver = new RsyslogReceiver(directory, FreeUdpPort(), Wait.FreeTcpPort());
        if (start)
        {
            receiver.Start();
        }
        return receiver;
    }

    /// <summary>Starts rsyslogd and waits until both ports listen.</summary>
    public void Start()
    {
        var executable = Executable ?? throw new InvalidOperationException("rsyslogd is not installed (scripts/install-test-dependencies.sh installs it)");
        _process = ChildProcess.Start(executable, ["-n", "-f", _config, "-i", Path.Combine(Directory, "rsyslogd.pid")], Directory);
        var ready = Wait.Until(() => _process.HasExited || (UdpListening() && TcpListening()), TimeSpan.FromSeconds(15));
        if (!ready || _process.HasExited)
        {
            throw new InvalidOperationException("rsyslogd did not start listening:\n" + _process.Describe());
        }
    }

    /// <summary>Kills rsyslogd (the receiver goes down); what it wrote stays.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            // TERM first: rsyslogd flushes its files and closes its sockets.
            process.Signal("TERM");
            process.WaitForExit(TimeSpan.FromSeconds(5));
            process.Dispose();
            _process = null;
        }
        File.Delete(Path.Combine(Directory, "rsyslogd.pid"));
    }

    public void Restart()
    {
        Stop();
        Start();
    }

    public string Describe() => _process?.Describe() ?? "(rsyslogd not running)";

    /// <summary>The messages as received (one per line: the alerts are single-line JSON).</summary>
    public List<string> RawMessages() => Lines(RawLog);

    /// <summary>What rsyslog's parser made of each message.</summary>
    public List<ParsedMessage> ParsedMessages() =>
        [.. Lines(ParsedLog).Select(line => line.Split('\t', 9)).Select(f => new ParsedMessage(f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4], f[5], f[6], f[7], f[8]))];

    public bool WaitForMessages(int count, TimeSpan timeout) => Wait.Until(() => RawMessages().Count >= count, timeout);

    public void Dispose()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Splits an RFC 5424 message by its ABNF: <c>&lt;PRI&gt;VERSION SP TIMESTAMP SP HOSTNAME SP
    /// APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]</c>; null when it is not one.
    /// </summary>
    public static Rfc5424Message? Parse(string message)
    {
        var match = Rfc5424().Match(message);
        if (!match.Success)
        {
            return null;
        }
        return new Rfc5424Message(
            int.Parse(match.Groups["pri"].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
            match.Groups["timestamp"].Value,
            match.Groups["hostname"].Value,
            match.Groups["app"].Value,
            match.Groups["procid"].Value,
            match.Groups["msgid"].Value,
            match.Groups["sd"].Value,
            match.Groups["msg"].Value);
    }

    private static List<string> Lines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        // Whole lines only: the last may still be being written.
        var end = text.LastIndexOf('\n');
        return [.. text[..(end + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    private bool UdpListening() => ProcNetListening("/proc/net/udp", UdpPort, state: "07");

    private bool TcpListening() => ProcNetListening("/proc/net/tcp", TcpPort, state: "0A");

    /// <summary>Whether 127.0.0.1:<paramref name="port"/> is bound in <paramref name="table"/> in <paramref name="state"/> (07 UDP unconnected, 0A TCP LISTEN).</summary>
    private static bool ProcNetListening(string table, int port, string state)
    {
        var local = "0100007F:" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[1] == local && fields[3] == state)
            {
                return true;
            }
        }
        return false;
    }

    [GeneratedRegex(@"^<(?<pri>\d{1,3})>(?<version>[1-9]\d{0,2}) (?<timestamp>-|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)) (?<hostname>[!-~]{1,255}) (?<app>[!-~]{1,48}) (?<procid>[!-~]{1,128}) (?<msgid>[!-~]{1,32}) (?<sd>-|(\[[^\]]*\])+)( (?<msg>.*))?$", RegexOptions.Singleline)]
    private static partial Regex Rfc5424();
}

internal sealed record Rfc5424Message(int Pri, int Version, string Timestamp, string HostName, string AppName, string ProcId, string MsgId, string StructuredData, string Msg);

internal sealed record ParsedMessage(string Input, string ProtocolVersion, int Pri, string Facility, string Severity, string AppName, string MsgId, string StructuredData, string Msg);
