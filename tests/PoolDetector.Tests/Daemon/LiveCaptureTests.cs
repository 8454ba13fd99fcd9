using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// The daemon on loopback, as a process: a Stratum exchange (the lines of
/// pcaps/stratum-v1-npm.pcap) over a real TCP connection is captured and alerted once;
/// a failing rules reload keeps the old rules; logrotate's move + SIGHUP sends new alerts
/// to the new file; SIGTERM stops it with exit 0.
/// </summary>
public sealed class LiveCaptureTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Loopback_MiningExchange_AlertedOnce_ReloadFailureKeepsRules_ReopenAfterRotate_CleanStop()
    {
        if (!IsRoot())
        {
            // Capturing needs CAP_NET_RAW; CI runs as root.
            Console.WriteLine("skipped: live capture needs root");
            return;
        }
        var exchange = ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        using var config = new DaemonConfig();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var poolPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        config.Settings["BpfFilter"] = $"tcp port {poolPort}";
        config.Settings["InterfaceRetrySeconds"] = 1;

        using var daemon = DaemonProcess.Launch(config);
        try
        {
            Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);

            // 1. One alert for the flow, src = the client (the miner).
            var firstClient = Replay(listener, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => AlertLines(config.EveLog).Count >= 1, AlertTimeout), "no alert:\n" + daemon.Stderr);
            // The flow's end (FIN) must not add a second alert.
            Thread.Sleep(1500);
            var alerts = AlertLines(config.EveLog);
            Assert.Single(alerts);
            AssertAlert(alerts[0], firstClient, poolPort);

            // 2. A broken rule file: the reload fails, is logged, and the old rules keep detecting.
            var broken = Path.Combine(config.RulesDirectory, "zz-broken.yml");
            File.WriteAllText(broken, "kind: methods\nmethods:\n  - name: [unclosed\n");
            daemon.Signal("HUP");
            Assert.True(daemon.WaitForLog("Rules reload failed", AlertTimeout), "reload failure not logged:\n" + daemon.Stderr);
            Assert.Contains(broken, daemon.Stderr);
            var secondClient = Replay(listener, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => AlertLines(config.EveLog).Count >= 2, AlertTimeout), "no alert after the failed reload:\n" + daemon.Stderr);
            AssertAlert(AlertLines(config.EveLog)[1], secondClient, poolPort);

            // 3. logrotate: move the file, SIGHUP, new alerts go to a new file at the old path.
            var rotated = config.EveLog + ".1";
            File.Move(config.EveLog, rotated);
            daemon.Signal("HUP");
            Assert.True(DaemonProcess.WaitUntil(() => File.Exists(config.EveLog), AlertTimeout), "alert file not reopened:\n" + daemon.Stderr);
            var thirdClient = Replay(listener, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => AlertLines(config.EveLog).Count >= 1, AlertTimeout), "no alert in the new file:\n" + daemon.Stderr);
            var fresh = AlertLines(config.EveLog);
            Assert.Single(fresh);
            AssertAlert(fresh[0], thirdClient, poolPort);
            Assert.Equal(2, AlertLines(rotated).Count);

            // 4. SIGTERM: a clean stop.
            daemon.Signal("TERM");
            var exit = daemon.WaitForExit(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, $"exit {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)"}:\n{daemon.Stderr}");
        }
        finally
        {
            daemon.Dispose();
        }
    }

    private static void AssertAlert(string line, int clientPort, int poolPort)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("alert", root.GetProperty("event_type").GetString());
        Assert.Equal("127.0.0.1", root.GetProperty("src_ip").GetString());
        Assert.Equal(clientPort, root.GetProperty("src_port").GetInt32());
        Assert.Equal(poolPort, root.GetProperty("dest_port").GetInt32());
        Assert.Equal("mining", root.GetProperty("mining").GetProperty("category").GetString());
        Assert.Equal("stratum-v1", root.GetProperty("mining").GetProperty("dialect").GetString());
    }

    /// <summary>The EVE file's alert lines so far (not the evidence and flow_end events that follow alerts).</summary>
    internal static List<string> AlertLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(IsAlert)];
    }

    private static bool IsAlert(string line)
    {
        using var json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty("event_type").GetString() == "alert";
    }

    /// <summary>Plays the exchange over a new connection to <paramref name="listener"/>. Returns the client's port.</summary>
    private static int Replay(TcpListener listener, List<(bool FromClient, byte[] Payload)> exchange)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = listener.AcceptTcpClient();
        return Play(client, server, exchange);
    }

    /// <summary>Over a connected pair, each side sends its segments in capture order; then both shut down. Returns the client's port.</summary>
    internal static int Play(TcpClient client, TcpClient server, List<(bool FromClient, byte[] Payload)> exchange)
    {
        client.NoDelay = server.NoDelay = true;
        client.ReceiveTimeout = client.SendTimeout = server.ReceiveTimeout = server.SendTimeout = 5000;
        var clientStream = client.GetStream();
        var serverStream = server.GetStream();
        foreach (var (fromClient, payload) in exchange)
        {
            var (sender, receiver) = fromClient ? (clientStream, serverStream) : (serverStream, clientStream);
            sender.Write(payload);
            receiver.ReadExactly(new byte[payload.Length]);
        }
        var port = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
        client.Client.Shutdown(SocketShutdown.Both);
        server.Client.Shutdown(SocketShutdown.Both);
        return port;
    }

    /// <summary>The TCP payloads of a two-party capture in order, with who sent each (the SYN sender is the client).</summary>
    internal static List<(bool FromClient, byte[] Payload)> ReadExchange(string pcap)
    {
        Assert.True(CaptureFileReader.TryOpen(pcap, out var reader, out var problem), problem);
        using (reader)
        {
            var collector = new PayloadCollector();
            reader.ReadAll(collector);
            Assert.NotEmpty(collector.Payloads);
            return collector.Payloads;
        }
    }

    private sealed class PayloadCollector : IFrameSink
    {
        private ushort _clientPort;

        public List<(bool FromClient, byte[] Payload)> Payloads { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            if (PacketDecoder.Decode(linkType, frame, out var packet) != DecodeStatus.Ok || packet.Transport != TransportProtocol.Tcp)
            {
                return;
            }
            if (_clientPort == 0 && (packet.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
            {
                _clientPort = packet.SourcePort;
            }
            if (packet.PayloadLength > 0)
            {
                Payloads.Add((packet.SourcePort == _clientPort, frame.Slice(packet.PayloadOffset, packet.PayloadLength).ToArray()));
            }
        }
    }

    internal static bool IsRoot() => Environment.UserName == "root";
}
