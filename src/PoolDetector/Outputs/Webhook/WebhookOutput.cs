using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace PoolDetector.Outputs.Webhook;

/// <summary>Where and how the webhook posts (validated options; the secret already read).</summary>
internal sealed record WebhookSettings(Uri Url, byte[] Secret, TimeSpan Timeout, int MaxAttempts, int QueueCapacity)
{
    /// <summary>Wait after the first failed attempt; it doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Alerts POSTed one by one: the body is the EVE JSON line, signed with HMAC-SHA256 under the
/// configured secret (<c>X-PoolDetector-Signature: sha256=HEX</c>, the receiver recomputes it
/// over the raw body), with an id that stays the same across retries
/// (<c>X-PoolDetector-Event-Id</c>) so a receiver can drop a repeat. A network error, a
/// timeout, 408, 429 or 5xx is retried with backoff up to <c>WebhookMaxAttempts</c>; any
/// other answer outside 2xx is final (the receiver refused it: sending again would not
/// change its mind). While one alert is retried the others wait in the bounded queue.
/// </summary>
internal sealed partial class WebhookOutput : QueuedAlertOutput
{
    public const string SignatureHeader = "X-PoolDetector-Signature";
    public const string EventIdHeader = "X-PoolDetector-Event-Id";

    private readonly WebhookSettings _settings;
    private readonly HttpClient _http;
    /// <summary>Scheme, host and port: what logs name (never the path or credentials a URL may carry).</summary>
    private readonly string _target;

    public WebhookOutput(WebhookSettings settings, OutputCounters counters, ILogger<WebhookOutput> logger)
        : base(OutputStatus.WebhookName, settings.QueueCapacity, counters, logger)
    {
        _settings = settings;
        _target = $"{settings.Url.Scheme}://{settings.Url.Authority}";
        _http = new HttpClient(new SocketsHttpHandler
        {
            // A POST answered with a redirect is not delivered; following it would send the alert
            // somewhere the operator did not configure.
            AllowAutoRedirect = false,
            ConnectTimeout = settings.Timeout,
            // Picks up a changed DNS answer for the receiver's name now and then.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = settings.Timeout,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("pooldetector", null));
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of <paramref name="body"/>.</summary>
    public static string Signature(byte[] secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    protected override async Task RunAsync(ChannelReader<QueuedAlert> reader, CancellationToken stopping)
    {
        try
        {
            var failing = false;
            while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (reader.TryRead(out var alert))
                {
                    var delivered = await DeliverAsync(alert, stopping).ConfigureAwait(false);
                    if (delivered && failing)
                    {
                        Log.Recovered(Logger, _target);
                    }
                    failing = !delivered;
                }
            }
        }
        finally
        {
            _http.Dispose();
        }
    }

    /// <summary>Posts one alert, retrying as the class says; counts it as sent or failed. True when delivered.</summary>
    private async Task<bool> DeliverAsync(QueuedAlert alert, CancellationToken stopping)
    {
        var body = Encoding.UTF8.GetBytes(alert.Json);
        var signature = Signature(_settings.Secret, body);
        var id = Guid.CreateVersion7().ToString();
        var target = _target;
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _settings.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(SignatureHeader, signature);
                request.Headers.Add(EventIdHeader, id);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stopping).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref Counters.Sent);
                    return true;
                }
                var status = (int)response.StatusCode;
                if (!Retryable(response.StatusCode))
                {
                    Interlocked.Increment(ref Counters.Failed);
                    Log.Refused(Logger, target, status, id);
                    return false;
                }
                problem = $"HTTP {status}";
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                problem = $"no answer within {_settings.Timeout.TotalSeconds:0.###} s";
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopped before it was delivered: still queued, in effect.
                Interlocked.Increment(ref Counters.Dropped);
                throw;
            }
            if (attempt >= _settings.MaxAttempts)
            {
                Interlocked.Increment(ref Counters.Failed);
                Log.GaveUp(Logger, target, attempt, problem, id);
                return false;
            }
            if (attempt == 1)
            {
                Log.Retrying(Logger, target, problem);
            }
            try
            {
                await Task.Delay(Backoff(_settings.InitialBackoff, _settings.MaxBackoff, attempt), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref Counters.Dropped);
                throw;
            }
        }
    }

    /// <summary>A failure that may pass: the receiver timed out, is throttling or is in trouble.</summary>
    private static bool Retryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Webhook: POST to {Target} failed ({Problem}); retrying with backoff")]
        public static partial void Retrying(ILogger logger, string target, string problem);

        [LoggerMessage(EventId = 1121, Level = LogLevel.Error, Message = "Webhook: gave up on alert {EventId} after {Attempts} attempt(s) to {Target}: {Problem}")]
        public static partial void GaveUp(ILogger logger, string target, int attempts, string problem, string eventId);

        [LoggerMessage(EventId = 1122, Level = LogLevel.Error, Message = "Webhook: {Target} refused alert {EventId} with HTTP {Status}; not retried")]
        public static partial void Refused(ILogger logger, string target, int status, string eventId);

        [LoggerMessage(EventId = 1123, Level = LogLevel.Information, Message = "Webhook: {Target} accepts alerts again")]
        public static partial void Recovered(ILogger logger, string target);
    }
}
