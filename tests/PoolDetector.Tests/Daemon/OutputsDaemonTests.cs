using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PoolDetector.Testing;
using PoolDetector.Tests.AlertOutputs;
using PoolDetector.Tests.Metrics;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// The daemon as a process with every output on: a Stratum exchange over a real loopback
/// connection is alerted to the EVE file, to a real rsyslogd over TCP and to a real HTTP
/// receiver, and its miner is on /blocklist.txt, /blocklist.json and the block list file.
/// Then both receivers go down: the daemon keeps capturing and alerting, the webhook's
/// failure is counted, and the syslog alert waits for rsyslogd's return.
/// </summary>
public sealed class OutputsDaemonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);
    private const string Secret = "campus-soc-shared-key";

    [ProgramFact(RsyslogReceiver.Program)]
    public void Alerts_reach_syslog_and_the_webhook_the_miner_is_on_the_block_list_and_dead_receivers_stop_nothing()
    {
        if (Environment.UserName != "root")
        {
            // Capturing needs CAP_NET_RAW; CI runs as root.
            output.WriteLine("skipped: live capture needs root");
            return;
        }
        var clock = Stopwatch.StartNew();
        var exchange = LiveCaptureTests.ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        using var rsyslog = RsyslogReceiver.Create();
        var webhook = new WebhookReceiver();
        using var config = new DaemonConfig();
        using var pool = new TcpListener(IPAddress.Loopback, 0);
        pool.Start();
        var poolPort = ((IPEndPoint)pool.LocalEndpoint).Port;
        var keyFile = Path.Combine(config.Directory, "webhook.key");
        File.WriteAllText(keyFile, Secret + "\n");
        var blocklistFile = Path.Combine(config.Directory, "blocklist.txt");
        config.Settings["BpfFilter"] = $"tcp port {poolPort}";
        config.Settings["SyslogAddress"] = "127.0.0.1";
        config.Settings["SyslogPort"] = rsyslog.TcpPort;
        config.Settings["SyslogProtocol"] = "tcp";
        config.Settings["WebhookUrl"] = webhook.Url.ToString();
        config.Settings["WebhookSecretFile"] = keyFile;
        config.Settings["WebhookMaxAttempts"] = 2;
        config.Settings["WebhookTimeoutSeconds"] = 2;
        config.Settings["BlocklistFile"] = blocklistFile;
        var metricsPort = (int)config.Settings["MetricsPort"];
        var root = $"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        using var daemon = DaemonProcess.Launch(config);
        try
        {
            Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);
            Assert.Equal("", Get(http, root + "/blocklist.txt"));

            // 1. One mining session: the same line in the EVE file, at rsyslog and at the webhook.
            Mine(pool, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => LiveCaptureTests.AlertLines(config.EveLog).Count == 1, EventTimeout), "no alert:\n" + daemon.Stderr);
            var first = LiveCaptureTests.AlertLines(config.EveLog)[0];
            Assert.True(rsyslog.WaitForMessages(1, EventTimeout), "nothing at rsyslog:\n" + daemon.Stderr + rsyslog.Describe());
            var message = RsyslogReceiver.Parse(Assert.Single(rsyslog.RawMessages()));
            Assert.NotNull(message);
            Assert.Equal(first, message.Msg);
            Assert.Equal((16 * 8) + 3, message.Pri); // local0, err: mining
            Assert.Equal("pooldetector", message.AppName);
            Assert.Equal(daemon.Id.ToString(CultureInfo.InvariantCulture), message.ProcId);
            Assert.True(Wait.Until(() => !webhook.Posts.IsEmpty, EventTimeout), "nothing at the webhook:\n" + daemon.Stderr);
            var post = Assert.Single(webhook.Posts);
            Assert.Equal(first, Encoding.UTF8.GetString(post.Body));
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), post.Body)), post.Signature);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: alert at rsyslog and the webhook");

            // 2. The miner is on the block list, over HTTP and in the files.
            Assert.True(Wait.Until(() => Get(http, root + "/blocklist.txt") == "127.0.0.1\n", EventTimeout), "not on /blocklist.txt:\n" + daemon.Stderr);
            using (var json = JsonDocument.Parse(Get(http, root + "/blocklist.json")))
            {
                var entry = Assert.Single(json.RootElement.EnumerateArray());
                Assert.Equal("127.0.0.1", entry.GetProperty("ip").GetString());
                Assert.Equal("mining", entry.GetProperty("category").GetString());
                Assert.Equal("stratum-v1", entry.GetProperty("dialect").GetString());
                Assert.Equal([$"127.0.0.1:{poolPort}"], entry.GetProperty("pools").EnumerateArray().Select(p => p.GetString()));
                // The session ended (FIN): it expires an hour (the default TTL) after its last packet.
                var lastSeen = DateTimeOffset.Parse(entry.GetProperty("last_seen").GetString()!, CultureInfo.InvariantCulture);
                Assert.True(Wait.Until(() => File.Exists(blocklistFile) && File.ReadAllText(blocklistFile) == "127.0.0.1\n", EventTimeout), "block list file not written");
                var expires = entry.GetProperty("expires");
                if (expires.ValueKind != JsonValueKind.Null)
                {
                    Assert.Equal(lastSeen.AddMinutes(60), DateTimeOffset.Parse(expires.GetString()!, CultureInfo.InvariantCulture));
                }
            }
            Assert.Equal(Get(http, root + "/blocklist.json"), File.ReadAllText(Path.ChangeExtension(blocklistFile, ".json")));
            var scrape = Exposition.Parse(Get(http, root + "/metrics"));
            Assert.Equal(1, scrape["pooldetector_output_events_total{output=\"syslog\",result=\"sent\"}"]);
            Assert.Equal(1, scrape["pooldetector_output_events_total{output=\"webhook\",result=\"sent\"}"]);
            Assert.Equal(1, scrape["pooldetector_blocklist_entries{}"]);

            // 3. Both receivers go away; the daemon goes on capturing and alerting.
            rsyslog.Stop();
            webhook.Dispose();
            Mine(pool, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => LiveCaptureTests.AlertLines(config.EveLog).Count == 2, EventTimeout), "no second alert:\n" + daemon.Stderr);
            var second = LiveCaptureTests.AlertLines(config.EveLog)[1];
            Assert.True(Wait.Until(() => Exposition.Parse(Get(http, root + "/metrics"))["pooldetector_output_events_total{output=\"webhook\",result=\"failed\"}"] == 1, EventTimeout),
                "the webhook's failure was not counted:\n" + daemon.Stderr);
            Assert.False(daemon.HasExited);
            // Logged after it is counted, by the console logger's own thread.
            Assert.True(daemon.WaitForLog("Webhook: gave up on alert", EventTimeout), "the webhook's failure was not logged:\n" + daemon.Stderr);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: second alert written with both receivers down");

            // 4. rsyslogd is back: the alert that waited for it arrives (reconnected with backoff).
            rsyslog.Start();
            Assert.True(rsyslog.WaitForMessages(2, TimeSpan.FromSeconds(20)), "the waiting alert never reached rsyslog:\n" + daemon.Stderr + rsyslog.Describe());
            Assert.Equal([first, second], rsyslog.RawMessages().Select(m => RsyslogReceiver.Parse(m)!.Msg));
            scrape = Exposition.Parse(Get(http, root + "/metrics"));
            Assert.Equal(2, scrape["pooldetector_output_events_total{output=\"syslog\",result=\"sent\"}"]);
            Assert.Equal(0, scrape["pooldetector_output_events_total{output=\"syslog\",result=\"dropped\"}"]);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: second alert at rsyslog after its restart");

            daemon.Signal("TERM");
            var exit = daemon.WaitForExit(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}:\n{daemon.Stderr}");
            Assert.Contains("The syslog output stopped: 2 alert(s) sent, 0 dropped, 0 failed", daemon.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            webhook.Dispose();
        }
    }

    private static void Mine(TcpListener pool, List<(bool FromClient, byte[] Payload)> exchange)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, ((IPEndPoint)pool.LocalEndpoint).Port);
        using var server = pool.AcceptTcpClient();
        LiveCaptureTests.Play(client, server, exchange);
    }

    private static string Get(HttpClient http, string url) => http.GetStringAsync(new Uri(url)).GetAwaiter().GetResult();
}
