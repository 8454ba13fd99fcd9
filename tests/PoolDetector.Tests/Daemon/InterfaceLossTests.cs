using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Testing;
using Xunit.Abstractions;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// Issue 3: "An interface that disappears or goes down is logged, counted, and retried; the
/// daemon keeps running on the others." The daemon runs inside a network namespace the test
/// creates, capturing on a1 and b1, the daemon's ends of two veth pairs whose other ends (a0,
/// b0) live in a second namespace: a Stratum exchange (the lines of pcaps/stratum-v1-npm.pcap)
/// over a real TCP connection from that namespace crosses a0→a1 or b0→b1. Then a1 is taken
/// down, the a pair deleted, and re-created; /metrics is read from inside the namespace.
/// </summary>
public sealed partial class InterfaceLossTests(ITestOutputHelper output)
{
    private const int PoolPort = 3333;
    private const int MetricsPort = 9474;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(8);

    [Fact]
    public void InterfaceDownDeletedRecreated_LoggedCountedRetried_OtherInterfaceKeepsAlerting()
    {
        if (Environment.UserName != "root" || EndToEndPrerequisites.FindProgram("ip") is null)
        {
            // Namespaces, veth pairs and capture need root and iproute2; CI runs as root.
            output.WriteLine("skipped: needs root and the ip command (iproute2)");
            return;
        }
        var clock = Stopwatch.StartNew();
        var exchange = LiveCaptureTests.ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        using var config = new DaemonConfig();
        DaemonProcess? daemon = null;
        using var sensor = NetworkNamespace.CreateBare("pdif-");
        using var peer = NetworkNamespace.CreateBare("pdif-");
        try
        {
            AddPair(sensor, peer, "a", 1);
            AddPair(sensor, peer, "b", 2);
            config.Settings["Interfaces"] = new[] { "a1", "b1" };
            config.Settings["BpfFilter"] = "tcp";
            config.Settings["MetricsAddress"] = "127.0.0.1";
            config.Settings["MetricsPort"] = MetricsPort;
            config.Settings["InterfaceRetrySeconds"] = 1;

            daemon = DaemonProcess.Launch(config, sensor);
            var d = daemon;
            Assert.True(DaemonProcess.WaitUntil(() => d.Stderr.Contains("Capturing on a1", StringComparison.Ordinal)
                && d.Stderr.Contains("Capturing on b1", StringComparison.Ordinal), StartTimeout), "daemon did not start capturing:\n" + d.Stderr);
            using var pool = sensor.Run(() =>
            {
                var listener = new TcpListener(IPAddress.Any, PoolPort);
                listener.Start();
                return listener;
            });
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: capturing on a1 and b1");

            // 0. Both interfaces alert.
            AssertAlerted(d, config, Mine(peer, pool, exchange, "10.200.1.2"), "10.200.1.2", "a, at start");
            AssertAlerted(d, config, Mine(peer, pool, exchange, "10.200.2.2"), "10.200.2.2", "b, at start");
            // libpcap's counters are refreshed on an idle link too (the flow's last packets
            // are not followed by others): received catches up with captured within a second or so.
            Assert.True(DaemonProcess.WaitUntil(() =>
            {
                var scrape = Scrape(sensor);
                return Value(scrape, "pooldetector_pcap_received_packets_total", "b1")
                    >= Value(scrape, "pooldetector_packets_total{interface=\"b1\",stage=\"captured\"}");
            }, EventTimeout), "pcap counters stale on an idle link:\n" + Scrape(sensor));
            var metrics = Scrape(sensor);
            Assert.Equal(1, Value(metrics, "pooldetector_interface_up", "a1"));
            Assert.Equal(0, Value(metrics, "pooldetector_interface_failures_total", "a1"));

            // a. a1 down: logged with its name and why, interface_up 0, counted; b keeps alerting.
            sensor.Ip("link", "set", "a1", "down");
            Assert.True(d.WaitForLog("Interface a1 failed: the interface is down", EventTimeout), "a1 down not logged:\n" + d.Stderr);
            Assert.True(DaemonProcess.WaitUntil(() => Value(Scrape(sensor), "pooldetector_interface_up", "a1") == 0, EventTimeout), "interface_up{a1} not 0:\n" + Scrape(sensor));
            metrics = Scrape(sensor);
            Assert.True(Value(metrics, "pooldetector_interface_failures_total", "a1") >= 1, metrics);
            Assert.Equal(1, Value(metrics, "pooldetector_interface_up", "b1"));
            Assert.Equal(0, Value(metrics, "pooldetector_interface_failures_total", "b1"));
            AssertAlerted(d, config, Mine(peer, pool, exchange, "10.200.2.2"), "10.200.2.2", "b, a1 down");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: a1 down noticed, b alerted");

            // b. The a pair deleted: logged, still retried, the daemon keeps running.
            var failuresWhileDown = Value(Scrape(sensor), "pooldetector_interface_failures_total", "a1");
            sensor.Ip("link", "del", "a1");
            Assert.True(d.WaitForLog("Interface a1 failed: no such interface", EventTimeout), "a1 deletion not logged:\n" + d.Stderr);
            Assert.True(DaemonProcess.WaitUntil(() => Value(Scrape(sensor), "pooldetector_interface_failures_total", "a1") > failuresWhileDown + 1, EventTimeout),
                "a1 not retried after deletion:\n" + Scrape(sensor));
            Assert.False(d.HasExited, "the daemon exited:\n" + d.Stderr);
            AssertAlerted(d, config, Mine(peer, pool, exchange, "10.200.2.2"), "10.200.2.2", "b, a1 deleted");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: a1 deletion noticed, b alerted");

            // c. a1 re-created: capturing again within a few retry periods, and alerting.
            AddPair(sensor, peer, "a", 1);
            Assert.True(DaemonProcess.WaitUntil(() => Value(Scrape(sensor), "pooldetector_interface_up", "a1") == 1, EventTimeout), "a1 not reopened:\n" + d.Stderr);
            // The log line comes after the interface is up: the console logger writes on a thread of its own.
            Assert.True(DaemonProcess.WaitUntil(() => Regex.Count(d.Stderr, "Capturing on a1") == 2, EventTimeout), "a1's reopening not logged:\n" + d.Stderr);
            AssertAlerted(d, config, Mine(peer, pool, exchange, "10.200.1.2"), "10.200.1.2", "a, re-created");
            Assert.Equal(1, Value(Scrape(sensor), "pooldetector_interface_up", "b1"));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: a1 re-created, reopened and alerted");

            // Throughout, b1 never failed, and each failure reason was logged once (repeats go to debug).
            Assert.DoesNotContain("Interface b1 failed", d.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, Regex.Count(d.Stderr, "Interface a1 failed: no such interface"));

            daemon.Signal("TERM");
            var exit = daemon.WaitForExit(TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}:\n{d.Stderr}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: stopped");
        }
        finally
        {
            daemon?.Dispose();
        }
    }

    /// <summary>veth pair <c>{prefix}1</c> (the daemon's, 10.200.N.2/30) and <c>{prefix}0</c> (the peer's, 10.200.N.1/30), both up.</summary>
    private static void AddPair(NetworkNamespace sensor, NetworkNamespace peer, string prefix, int subnet)
    {
        sensor.Ip("link", "add", prefix + "1", "type", "veth", "peer", "name", prefix + "0", "netns", peer.Name);
        sensor.Ip("addr", "add", $"10.200.{subnet}.2/30", "dev", prefix + "1");
        peer.Ip("addr", "add", $"10.200.{subnet}.1/30", "dev", prefix + "0");
        peer.Ip("link", "set", prefix + "0", "up");
        sensor.Ip("link", "set", prefix + "1", "up");
        // The kernel reports the carrier (operstate UP) a moment after both ends are up, later on
        // a loaded machine: a daemon started before would rightly count the interface as down.
        Assert.True(DaemonProcess.WaitUntil(() => sensor.Ip("-o", "link", "show", prefix + "1").Contains("state UP", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            $"{prefix}1 not up: {sensor.Ip("-o", "link", "show", prefix + "1")}");
    }

    /// <summary>The exchange over a new connection from the peer namespace to <paramref name="poolAddress"/>; returns the client's port.</summary>
    private static int Mine(NetworkNamespace peer, TcpListener pool, List<(bool FromClient, byte[] Payload)> exchange, string poolAddress)
    {
        using var client = peer.Run(() => new TcpClient(AddressFamily.InterNetwork));
        client.SendTimeout = 5000;
        client.Connect(IPAddress.Parse(poolAddress), PoolPort);
        Assert.True(pool.Server.Poll(TimeSpan.FromSeconds(5), SelectMode.SelectRead), "the pool did not see the connection");
        using var server = pool.AcceptTcpClient();
        return LiveCaptureTests.Play(client, server, exchange);
    }

    private static void AssertAlerted(DaemonProcess daemon, DaemonConfig config, int clientPort, string poolAddress, string when)
    {
        Assert.True(DaemonProcess.WaitUntil(() => LiveCaptureTests.AlertLines(config.EveLog).Any(line => IsAlertFor(line, clientPort)), EventTimeout),
            $"no alert for the exchange on {when} (client port {clientPort.ToString(CultureInfo.InvariantCulture)}):\n{daemon.Stderr}");
        var alert = LiveCaptureTests.AlertLines(config.EveLog).Where(line => IsAlertFor(line, clientPort)).ToList();
        Assert.Single(alert);
        using var json = JsonDocument.Parse(alert[0]);
        Assert.Equal(poolAddress, json.RootElement.GetProperty("dest_ip").GetString());
        Assert.Equal("stratum-v1", json.RootElement.GetProperty("mining").GetProperty("dialect").GetString());
    }

    private static bool IsAlertFor(string line, int clientPort)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return root.GetProperty("event_type").GetString() == "alert"
            && root.TryGetProperty("src_port", out var port) && port.GetInt32() == clientPort;
    }

    /// <summary>GET /metrics from inside the daemon's namespace (its own loopback), HTTP/1.1 with Connection: close.</summary>
    private static string Scrape(NetworkNamespace sensor)
    {
        using var socket = sensor.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.ReceiveTimeout = socket.SendTimeout = 5000;
        socket.Connect(IPAddress.Loopback, MetricsPort);
        var host = "127.0.0.1:" + MetricsPort.ToString(CultureInfo.InvariantCulture);
        socket.Send(Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = reader.ReadToEnd();
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        return response;
    }

    /// <summary>The value of <paramref name="metric"/>{interface="<paramref name="interfaceName"/>"} in a scrape; fails when absent.</summary>
    private static double Value(string scrape, string metric, string interfaceName) =>
        Value(scrape, $"{metric}{{interface=\"{interfaceName}\"}}");

    /// <summary>The value of the series written exactly as <paramref name="series"/> (name and labels) in a scrape; fails when absent.</summary>
    private static double Value(string scrape, string series)
    {
        var prefix = series + " ";
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line.AsSpan(prefix.Length).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
        Assert.Fail($"{prefix.TrimEnd()} not in the scrape:\n{scrape}");
        return double.NaN;
    }
}
