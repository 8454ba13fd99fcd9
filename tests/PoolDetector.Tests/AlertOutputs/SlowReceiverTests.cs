using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Core.Detection;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Syslog;
using PoolDetector.Outputs.Webhook;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>
/// Receivers that do not take alerts must never reach back into the packet path: a webhook
/// that holds every request unanswered and a syslog TCP receiver that is not running, under
/// the daemon's real <see cref="AlertDispatcher"/>. The engine thread's calls return at once,
/// each output loses no more than its queue cannot hold, its drop counter says exactly how
/// many, and once the receivers are back the newest alerts arrive.
/// </summary>
public sealed class SlowReceiverTests(ITestOutputHelper output)
{
    private const int Alerts = 400;
    private const int Capacity = 16;

    [ProgramFact(RsyslogReceiver.Program)]
    public async Task A_held_webhook_and_a_dead_syslog_never_block_the_engine_thread_and_count_exactly_what_they_lose()
    {
        using var receiver = new WebhookReceiver();
        receiver.Hold();
        using var rsyslog = RsyslogReceiver.Create(start: false);
        // Long enough that the held request does not time out while the test looks.
        using var webhook = new WebhookOutput(new WebhookSettings(receiver.Url, Encoding.UTF8.GetBytes("k"), TimeSpan.FromSeconds(120), 3, Capacity),
            new OutputCounters(), NullLogger<WebhookOutput>.Instance);
        using var syslog = new SyslogOutput(new SyslogSettings(new IPEndPoint(IPAddress.Loopback, rsyslog.TcpPort), SyslogTransport.Tcp, 16, 8192, Capacity)
        {
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        }, new OutputCounters(), NullLogger<SyslogOutput>.Instance);
        using var rig = new DispatcherRig(webhook, syslog);
        await webhook.StartAsync(CancellationToken.None);
        await syslog.StartAsync(CancellationToken.None);

        var corpus = DispatcherRig.CorpusDetections();
        var detections = Enumerable.Range(0, Alerts).Select(i => corpus[i % corpus.Count] with { FlowId = i + 1 }).ToList();
        // Warm up the path (JIT) on the first alert, then time every call.
        var durations = new List<TimeSpan>(Alerts);
        var clock = new Stopwatch();
        foreach (var detection in detections)
        {
            clock.Restart();
            rig.Dispatcher.OnDetection(detection);
            durations.Add(clock.Elapsed);
            if (durations.Count == 1)
            {
                // Both workers hold the first alert (the POST is held, the connection refused) before the burst.
                Assert.True(Wait.Until(() => receiver.Held == 1, TimeSpan.FromSeconds(10)), "the webhook's first POST did not arrive");
                Assert.True(Wait.Until(() => syslog.Counters.QueueDepth == 0, TimeSpan.FromSeconds(10)), "the syslog worker did not take the first alert");
            }
        }
        var slowest = durations.Skip(1).Max();
        var total = durations.Skip(1).Aggregate(TimeSpan.Zero, (a, b) => a + b);
        output.WriteLine($"OnDetection x {Alerts - 1} while both receivers are blocked: total {total.TotalMilliseconds:F1} ms, slowest {slowest.TotalMilliseconds:F2} ms, median {durations.Skip(1).Order().ElementAt(Alerts / 2).TotalMilliseconds:F3} ms");
        // The EVE file is written (and flushed) in the same call: the bound is for a shared, busy CI machine.
        Assert.True(slowest < TimeSpan.FromMilliseconds(250), $"an OnDetection call took {slowest.TotalMilliseconds:F1} ms while the receivers were blocked");
        Assert.Equal(Alerts, rig.EveLines().Count);

        // Still blocked: each output holds one alert in its worker and a full queue; everything older is dropped and counted.
        Assert.Equal(1, receiver.Held);
        foreach (var (name, counters) in new[] { ("webhook", webhook.Counters), ("syslog", syslog.Counters) })
        {
            Assert.True(Wait.Until(() => counters.QueueDepth == Capacity, TimeSpan.FromSeconds(5)), $"{name}: queue depth {counters.QueueDepth}");
            Assert.True(Alerts - Capacity - 1 == Volatile.Read(ref counters.Dropped), $"{name}: dropped {counters.Dropped}, not {Alerts - Capacity - 1}");
            Assert.Equal(0, Volatile.Read(ref counters.Sent));
        }

        // The receivers come back: what was kept is delivered.
        receiver.Release();
        rsyslog.Start();
        foreach (var counters in new[] { webhook.Counters, syslog.Counters })
        {
            Assert.True(Wait.Until(() => Volatile.Read(ref counters.Sent) + Volatile.Read(ref counters.Dropped) + Volatile.Read(ref counters.Failed) == Alerts, TimeSpan.FromSeconds(20)),
                $"not drained: sent {counters.Sent}, dropped {counters.Dropped}, failed {counters.Failed}, queued {counters.QueueDepth}\n{rsyslog.Describe()}");
        }
        Assert.True(rsyslog.WaitForMessages((int)syslog.Counters.Sent, TimeSpan.FromSeconds(10)), rsyslog.Describe());
        await webhook.StopAsync(CancellationToken.None);
        await syslog.StopAsync(CancellationToken.None);

        var eve = rig.EveLines();
        var posted = receiver.Posts.Select(p => Encoding.UTF8.GetString(p.Body)).ToList();
        var logged = rsyslog.RawMessages().Select(m => RsyslogReceiver.Parse(m)!.Msg).ToList();
        foreach (var (name, counters, received) in new[] { ("webhook", webhook.Counters, posted), ("syslog", syslog.Counters, logged) })
        {
            output.WriteLine($"{name}: sent {counters.Sent}, dropped {counters.Dropped}, failed {counters.Failed}, received {received.Count}");
            // Lost = what the receiver never got = the drop counter, and no more than the queue could not hold.
            Assert.Equal(Capacity + 1, received.Count);
            Assert.Equal(received.Count, Volatile.Read(ref counters.Sent));
            Assert.Equal(Alerts - received.Count, Volatile.Read(ref counters.Dropped));
            Assert.Equal(0, Volatile.Read(ref counters.Failed));
            // DropOldest: the one already in the worker's hands, then the newest the queue held, in order.
            Assert.Equal(eve.TakeLast(Capacity), received.Skip(1));
            Assert.Contains(received[0], eve.Take(Alerts - Capacity));
        }
    }
}
