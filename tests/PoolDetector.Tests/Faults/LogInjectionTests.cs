using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Core.Tests.Protocols.Tls;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;
using CliProcess = PoolDetector.Tests.Cli.Cli;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Issue 8, least privilege: nothing from the traffic reaches a log line unescaped. A capture
/// made here holds a Stratum session whose worker name and agent, an HTTP getwork session whose
/// Host and User-Agent, and a TLS hello whose server name carry CR, LF, ANSI escapes (ESC [ and
/// OSC), NUL, BEL, NEL, U+2028, U+2029 and a forged log line. Replayed into the daemon: every
/// line on its stderr is one whole record of its console format, with none of those characters
/// raw and no forged line; the EVE file is one JSON object per line giving the exact text back.
/// <c>analyze</c>'s table passes no control or line-separator character to the terminal; its
/// CSV is one record per detection. Bound: replay and alerts within 20 s; the test about 15 s.
/// </summary>
public sealed partial class LogInjectionTests
{
    private const string Forged = "2030-01-01T00:00:00.000Z crit: PoolDetector.Outputs.AlertDispatcher[200] Detected nothing";
    /// <summary>Where CR and LF can travel (JSON strings, TLS names).</summary>
    private const string Hostile = "rig\r\n" + Forged + "\u001b[2J\u001b]0;owned\u0007\u0000\u0085\u2028\u2029end";
    /// <summary>Where CR and LF would end the field (HTTP headers): the rest.</summary>
    private const string HostileHeader = "miner\u001b[31m\u0000\u0085\u2028\u2029 " + Forged;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [EndToEndFact("tcpreplay")]
    public void Hostile_names_are_escaped_in_the_log_the_eve_file_and_analyze_output()
    {
        using var scratch = new Cli.TempDirectory();
        var pcap = Path.Combine(scratch.Path, "hostile-names.pcap");
        File.WriteAllBytes(pcap, Capture());

        // analyze: the table (stdout is not a terminal here: plain text) and the CSV.
        var jsonl = CliProcess.RunProcess("analyze", "--format", "jsonl", pcap);
        var detections = jsonl.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(detections.Length >= 2, "the Stratum and getwork sessions were not both detected:\n" + jsonl.Stdout + jsonl.Stderr);
        Assert.Contains(detections, line => Worker(line) == Hostile);
        var table = CliProcess.RunProcess("analyze", pcap);
        Assert.Equal(1, table.ExitCode);
        AssertNoRawControls(table.Stdout, "analyze's table");
        Assert.Contains(@"\x1b[2J", table.Stdout, StringComparison.Ordinal);
        var csv = CliProcess.RunProcess("analyze", "--format", "csv", pcap);
        var records = Csv.Records(csv.Stdout);
        Assert.Equal(detections.Length + 1, records.Count); // the header, then one record per detection
        Assert.All(records, r => Assert.Equal(records[0].Count, r.Count));

        // The daemon: the same capture replayed onto the interface it watches.
        using var netns = NetworkNamespace.Create();
        using var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns);
        using (var replay = ChildProcess.Run(NetworkNamespace.IpBinary, netns.Wrap("tcpreplay", "--intf1=" + netns.ReplayInterface, "--pps=1000", pcap), Timeout))
        {
            Assert.True(replay.ExitCode == 0, replay.Describe());
        }
        Assert.True(daemon.WaitForAlerts(detections.Length, Timeout).Count >= detections.Length, "alerts missing:\n" + daemon.Describe());
        Assert.True(daemon.WaitForLog(@"worker ""rig\x0d\x0a2030-01-01", Timeout), "the worker was not logged escaped:\n" + daemon.Describe());
        Assert.Equal(0, daemon.Stop(Timeout));

        // Every stderr line is one record: it starts as the console formatter starts one.
        foreach (var line in daemon.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(RecordStart(), line);
            Assert.DoesNotContain(Forged, line[..Math.Min(line.Length, Forged.Length + 5)], StringComparison.Ordinal);
        }
        AssertNoRawControls(daemon.Stderr, "the daemon's log");
        AssertNoRawControls(daemon.Stdout, "the daemon's stdout");

        // The EVE file: one JSON object per line, ASCII only, the exact names inside.
        var eve = File.ReadAllText(daemon.EveLog);
        AssertNoRawControls(eve, "the EVE file");
        Assert.DoesNotMatch(NonAscii(), eve);
        var events = daemon.Events();
        Assert.Equal(eve.Count(c => c == '\n'), events.Count);
        Assert.Contains(events, e => e.GetProperty("mining").GetProperty("worker").GetString() == Hostile);
        Assert.Contains(events, e => e.GetProperty("mining").GetProperty("agent").GetString() == Hostile);
    }

    /// <summary>A Stratum V1 session, an HTTP getwork session and a TLS hello, each with hostile names.</summary>
    private static byte[] Capture()
    {
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2024, 5, 6, 9, 30, 0, TimeSpan.Zero));
        var worker = JsonSerializer.Serialize(Hostile); // every control and non-ASCII character as \uXXXX
        capture.Tcp("192.0.2.50", 50001, "203.0.113.50", 3333, 0x1000, 0x2000)
            .Handshake()
            .Client("{\"id\": 0, \"method\": \"mining.subscribe\", \"params\": [" + worker + "]}\n")
            .Server("{\"id\":0,\"result\":[[[\"mining.notify\",\"ae6812eb\"]],\"f8002c90\",4],\"error\":null}\n")
            .Client("{\"id\": 1, \"method\": \"mining.authorize\", \"params\": [" + worker + ", \"x\"]}\n")
            .Server("{\"id\":1,\"result\":true,\"error\":null}\n")
            .Server("{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"4f\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01\",\"02\",[],\"20000000\",\"1705ae3a\",\"66389b2c\",true]}\n")
            .Client("{\"params\": [" + worker + ", \"4f\", \"00000000\", \"66389b2c\", \"b2957c02\"], \"id\": 2, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n")
            .Close();

        const string getwork = "{\"method\": \"getwork\", \"params\": [], \"id\":0}\n";
        var request = Encoding.UTF8.GetBytes(
            "POST / HTTP/1.1\r\nHost: " + HostileHeader + "\r\nUser-Agent: " + HostileHeader + "\r\n" +
            "Content-type: application/json\r\nX-Mining-Extensions: longpoll midstate rollntime\r\n" +
            $"Content-Length: {getwork.Length}\r\n\r\n" + getwork);
        const string work = "{\"result\":{\"midstate\":\"6814158c8bfe7536e3c29b235c6fb55df5fce4d448dc854366aed651b9128bc0\",\"data\":\"00000002\",\"target\":\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000\"},\"error\":null,\"id\":0}";
        capture.Tcp("192.0.2.51", 50002, "203.0.113.51", 8332, 0x3000, 0x4000)
            .Handshake()
            .ClientBytes(request)
            .Server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Stratum: stratum+tcp://203.0.113.51:3333\r\n" +
                $"Content-Length: {work.Length}\r\n\r\n" + work)
            .Close();

        var name = Encoding.UTF8.GetBytes(Hostile.Replace("\u0000", "", StringComparison.Ordinal) + ".pool.example");
        (ushort, byte[]) sni = (0x0000, [.. TlsHelloBuilder.U16(name.Length + 3), 0, .. TlsHelloBuilder.U16(name.Length), .. name]);
        capture.Tcp("192.0.2.52", 50003, "203.0.113.52", 443, 0x5000, 0x6000)
            .Handshake()
            .ClientBytes(TlsHelloBuilder.Records(TlsHelloBuilder.ClientHello([0x1301, 0x1302], sni, TlsHelloBuilder.SupportedVersions(0x0304))))
            .Close();
        return capture.ToPcap();
    }

    private static string? Worker(string jsonLine)
    {
        using var json = JsonDocument.Parse(jsonLine);
        return json.RootElement.GetProperty("mining").GetProperty("worker").GetString();
    }

    /// <summary>No C0 control but the line feed, no DEL, no C1 (NEL and the rest), no U+2028/U+2029.</summary>
    private static void AssertNoRawControls(string text, string what)
    {
        var bad = text.Select((c, i) => (c, i)).FirstOrDefault(p => (p.c < ' ' && p.c != '\n') || p.c is >= '\u007f' and <= '\u009f' or '\u2028' or '\u2029');
        Assert.True(bad == default, $"{what} holds U+{(int)bad.c:X4} raw at {bad.i}: ...{text[Math.Max(0, bad.i - 80)..Math.Min(text.Length, bad.i + 20)]}...");
    }

    /// <summary>The daemon's console format: UTC timestamp, level, category[event id].</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): [\w.]+\[\d+\] ")]
    private static partial Regex RecordStart();

    [GeneratedRegex(@"[^\x00-\x7f]")]
    private static partial Regex NonAscii();
}
