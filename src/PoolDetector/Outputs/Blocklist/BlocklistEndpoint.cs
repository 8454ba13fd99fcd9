using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Hosting;
using PoolDetector.Metrics;

namespace PoolDetector.Outputs.Blocklist;

/// <summary>
/// Serves <c>/blocklist.txt</c> and <c>/blocklist.json</c> on the metrics listener
/// (<c>MetricsAddress:MetricsPort</c>): an HttpListener of its own with those two prefixes,
/// which .NET's managed HttpListener puts on the same socket as the <c>/metrics</c> one (the
/// host string must be the metrics server's, hence <see cref="MetricsServerService.ListenerHost"/>).
/// Answers come from the last built list (at most a second old), so a firewall polling often
/// never touches the aggregates.
/// </summary>
internal sealed partial class BlocklistEndpoint : IHostedService, IDisposable
{
    public const string TextPath = "/blocklist.txt";
    public const string JsonPath = "/blocklist.json";

    private readonly string _address;
    private readonly int _port;
    private readonly BlocklistService _blocklist;
    private readonly ILogger<BlocklistEndpoint> _logger;
    private HttpListener? _listener;
    private Task? _serving;

    public BlocklistEndpoint(string address, int port, BlocklistService blocklist, ILogger<BlocklistEndpoint> logger)
    {
        _address = address;
        _port = port;
        _blocklist = blocklist;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = new HttpListener();
        var host = MetricsServerService.ListenerHost(_address);
        // HttpListener matches a request for /blocklist.txt against the prefix /blocklist.txt/.
        listener.Prefixes.Add($"http://{host}:{_port}{TextPath}/");
        listener.Prefixes.Add($"http://{host}:{_port}{JsonPath}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            listener.Close();
            throw new SensorStartupException(
                $"Block list: cannot listen on address {_address} port {_port} ({e.Message}). " +
                "Change PoolDetector:MetricsPort or PoolDetector:MetricsAddress.", e);
        }
        _listener = listener;
        _serving = Task.Run(() => ServeAsync(listener), CancellationToken.None);
        Log.Serving(_logger, _address, _port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is { } listener)
        {
            _listener = null;
            listener.Stop();
            listener.Close();
        }
        if (_serving is { } serving)
        {
            await serving.ConfigureAwait(false);
        }
    }

    public void Dispose() => _listener?.Close();

    private async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopped.
                return;
            }
            // Each answer on its own task: a client that reads slowly holds up nobody else.
            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            var path = request.Url?.AbsolutePath ?? "";
            if (path != TextPath && path != JsonPath)
            {
                response.StatusCode = (int)HttpStatusCode.NotFound;
                return;
            }
            if (request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.StatusCode = (int)HttpStatusCode.MethodNotAllowed;
                response.AddHeader("Allow", "GET, HEAD");
                return;
            }
            var snapshot = _blocklist.Current;
            var body = path == TextPath ? snapshot.Text : snapshot.Json;
            response.StatusCode = (int)HttpStatusCode.OK;
            response.ContentType = path == TextPath ? "text/plain; charset=utf-8" : "application/json";
            // A list of who to block now: never to be answered from a cache.
            response.AddHeader("Cache-Control", "no-store");
            response.ContentLength64 = body.Length;
            if (request.HttpMethod == "GET")
            {
                response.OutputStream.Write(body);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1135, Level = LogLevel.Information, Message = "Block list at http://{Address}:{Port}/blocklist.txt and /blocklist.json")]
        public static partial void Serving(ILogger logger, string address, int port);
    }
}
