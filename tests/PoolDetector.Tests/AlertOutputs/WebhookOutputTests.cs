using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Webhook;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>
/// The webhook under the daemon's real <see cref="AlertDispatcher"/>, posting to a real HTTP
/// server (<see cref="WebhookReceiver"/>): the body is the EVE line, the signature checks out
/// with the secret, retries keep the event id, and a refusal or a dead receiver is counted.
/// </summary>
public sealed class WebhookOutputTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("correct horse battery staple");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static WebhookOutput Output(Uri url, int maxAttempts = 5, int capacity = 1024, int timeoutSeconds = 10) =>
        new(new WebhookSettings(url, Secret, TimeSpan.FromSeconds(timeoutSeconds), maxAttempts, capacity)
        {
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        }, new OutputCounters(), NullLogger<WebhookOutput>.Instance);

    /// <summary>What a receiver does, written here from the README's description, not from the sender's code.</summary>
    private static bool SignatureValid(ReceivedPost post)
    {
        using var hmac = new HMACSHA256(Secret);
        var expected = "sha256=" + string.Concat(hmac.ComputeHash(post.Body).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        return post.Signature is { } signature
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(expected));
    }

    [Fact]
    public async Task Each_alert_is_posted_once_signed_with_the_secret_its_body_the_eve_line()
    {
        using var receiver = new WebhookReceiver();
        using var webhook = Output(receiver.Url);
        using var rig = new DispatcherRig(webhook);
        await webhook.StartAsync(CancellationToken.None);
        var detections = DispatcherRig.CorpusDetections();
        foreach (var detection in detections)
        {
            rig.Dispatcher.OnDetection(detection);
        }
        Assert.True(Wait.Until(() => receiver.Posts.Count >= detections.Count, Timeout), $"{receiver.Posts.Count} of {detections.Count} POSTs");
        await webhook.StopAsync(CancellationToken.None);

        var posts = receiver.Posts.ToList();
        Assert.Equal(rig.EveLines(), posts.Select(p => Encoding.UTF8.GetString(p.Body)));
        Assert.All(posts, post =>
        {
            Assert.Equal("POST", post.Method);
            Assert.Equal("/hook", post.Path);
            Assert.Equal("application/json", post.ContentType);
            Assert.True(SignatureValid(post), "signature does not verify: " + post.Signature);
            Assert.True(Guid.TryParse(post.EventId, out _), "event id is not a UUID: " + post.EventId);
        });
        Assert.Equal(posts.Count, posts.Select(p => p.EventId).Distinct().Count());
        // A body changed in transit (or a wrong key) fails the check.
        var forged = posts[0] with { Body = [.. posts[0].Body.Take(posts[0].Body.Length - 1), (byte)' '] };
        Assert.False(SignatureValid(forged));
        Assert.Equal(detections.Count, Volatile.Read(ref webhook.Counters.Sent));
        Assert.Equal(0, Volatile.Read(ref webhook.Counters.Failed));
    }

    [Fact]
    public async Task A_5xx_is_retried_with_the_same_event_id_until_delivered()
    {
        using var receiver = new WebhookReceiver { Answer = n => n < 2 ? 503 : 200 };
        using var webhook = Output(receiver.Url);
        using var rig = new DispatcherRig(webhook);
        await webhook.StartAsync(CancellationToken.None);
        rig.Dispatcher.OnDetection(DispatcherRig.CorpusDetections()[0]);
        Assert.True(Wait.Until(() => Volatile.Read(ref webhook.Counters.Sent) == 1, Timeout), "not delivered");
        await webhook.StopAsync(CancellationToken.None);

        var posts = receiver.Posts.ToList();
        Assert.Equal(3, posts.Count);
        Assert.Single(posts.Select(p => p.EventId).Distinct());
        Assert.All(posts, p => Assert.True(SignatureValid(p)));
        Assert.Equal(0, Volatile.Read(ref webhook.Counters.Failed));
    }

    [Fact]
    public async Task A_4xx_is_final_and_a_dead_receiver_is_given_up_after_MaxAttempts()
    {
        using var receiver = new WebhookReceiver { Answer = _ => 400 };
        using var refused = Output(receiver.Url);
        // Nobody listens there: every attempt is refused at connect.
        using var dead = Output(new Uri($"http://127.0.0.1:{Wait.FreeTcpPort()}/hook"), maxAttempts: 3);
        using var rig = new DispatcherRig(refused, dead);
        await refused.StartAsync(CancellationToken.None);
        await dead.StartAsync(CancellationToken.None);
        var detections = DispatcherRig.CorpusDetections().Take(2).ToList();
        foreach (var detection in detections)
        {
            rig.Dispatcher.OnDetection(detection);
        }
        Assert.True(Wait.Until(() => Volatile.Read(ref refused.Counters.Failed) == 2 && Volatile.Read(ref dead.Counters.Failed) == 2, Timeout),
            $"failed: refused {refused.Counters.Failed}, dead {dead.Counters.Failed}");
        await refused.StopAsync(CancellationToken.None);
        await dead.StopAsync(CancellationToken.None);

        // Refused: one POST per alert, no retry.
        Assert.Equal(2, receiver.Posts.Count);
        foreach (var counters in new[] { refused.Counters, dead.Counters })
        {
            Assert.Equal(0, Volatile.Read(ref counters.Sent));
            Assert.Equal(0, Volatile.Read(ref counters.Dropped));
        }
    }
}
