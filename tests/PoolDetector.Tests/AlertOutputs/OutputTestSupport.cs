using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Core.Detection;
using PoolDetector.Hosting;
using PoolDetector.Outputs;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.AlertOutputs;

/// <summary>The real alert path for output tests: the daemon's <see cref="AlertDispatcher"/> with its EVE file.</summary>
internal sealed class DispatcherRig : IDisposable
{
    private readonly EveFileSink _eve;

    public DispatcherRig(params IAlertOutput[] outputs)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pooldetector-outputs-").FullName;
        _eve = new EveFileSink(Path.Combine(Directory, "eve.json"), NullLogger.Instance);
        _eve.Open();
        Aggregator = new DetectionAggregator(1024, 1024);
        Dispatcher = new AlertDispatcher(_eve, null, Aggregator, new NullSensorMetrics(), NullLogger.Instance, outputs);
    }

    public string Directory { get; }

    public AlertDispatcher Dispatcher { get; }

    public DetectionAggregator Aggregator { get; }

    /// <summary>The EVE file's lines: what every output must deliver, byte for byte.</summary>
    public List<string> EveLines()
    {
        using var stream = new FileStream(_eve.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    public void Dispose()
    {
        _eve.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>
    /// Every detection the project's captures give (mining, pool contact, node traffic: all three
    /// severities), as first reports, with flow ids made unique across files.
    /// </summary>
    public static List<MiningDetection> CorpusDetections()
    {
        var detections = new List<MiningDetection>();
        foreach (var file in System.IO.Directory.GetFiles(RepositoryPaths.Pcaps, "*.pcap").Order(StringComparer.Ordinal))
        {
            foreach (var detection in CaptureRunner.Run(file))
            {
                detections.Add(detection with { FlowId = detections.Count + 1, ReportedBefore = false });
            }
        }
        return detections;
    }
}

/// <summary>One POST as the receiver got it.</summary>
internal sealed record ReceivedPost(string Method, string Path, string? ContentType, string? Signature, string? EventId, byte[] Body);

/// <summary>
/// A real HTTP server for the webhook: .NET's HttpListener on a free loopback port, in this
/// process (the client side is SocketsHttpHandler: two independent HTTP stacks over TCP). Records
/// every request; answers with the status <see cref="Answer"/> picks for the n-th request; while
/// <see cref="Hold"/> is set, it holds each request unanswered until it is released.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    private readonly ManualResetEventSlim _released = new(true);
    private int _requests;
    private bool _disposed;

    public WebhookReceiver()
    {
        Port = Wait.FreeTcpPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/hook/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    public ConcurrentQueue<ReceivedPost> Posts { get; } = new();

    /// <summary>The status for the n-th request (0-based); 200 by default.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;

    /// <summary>Requests that arrived while held and are waiting for <see cref="Release"/>.</summary>
    public int Held;

    public void Hold() => _released.Reset();

    public void Release() => _released.Set();

    /// <summary>Stops answering (the receiver goes down); safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _released.Set();
        _listener.Stop();
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _released.Dispose();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var request = context.Request;
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            var index = Interlocked.Increment(ref _requests) - 1;
            if (!_released.IsSet)
            {
                Interlocked.Increment(ref Held);
                _released.Wait();
                Interlocked.Decrement(ref Held);
            }
            Posts.Enqueue(new ReceivedPost(request.HttpMethod, request.Url!.AbsolutePath, request.ContentType,
                request.Headers["X-PoolDetector-Signature"], request.Headers["X-PoolDetector-Event-Id"], body.ToArray()));
            try
            {
                context.Response.StatusCode = Answer(index);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
            }
        }
    }
}
