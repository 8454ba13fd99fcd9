using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Core.Detection;

namespace PoolDetector.Outputs;

/// <summary>An alert on its way to an output: the EVE line exactly as the EVE file has it, and what a header needs.</summary>
internal sealed record QueuedAlert(string Json, int Severity, long TimestampMicros);

/// <summary>Where <see cref="AlertDispatcher"/> hands each alert besides the EVE file. Engine thread; must return at once.</summary>
internal interface IAlertOutput
{
    /// <summary>The output's <c>output</c> label value.</summary>
    string Name { get; }

    void Enqueue(MiningDetection detection, string eveJson);
}

/// <summary>
/// An alert output that can never slow capture, whatever its receiver does: the engine thread
/// puts the event in a bounded queue and returns, a worker task sends. When the queue is full
/// the oldest alert is dropped (<see cref="BoundedChannelFullMode.DropOldest"/>, counted): during
/// an outage the alerts still worth having when the receiver comes back are the latest ones,
/// the hosts mining now, and every alert is in the EVE file anyway. At stop the worker gets a
/// few seconds to deliver what is queued; what is left is counted as dropped.
/// </summary>
internal abstract partial class QueuedAlertOutput : IAlertOutput, IHostedService, IDisposable
{
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(5);

    private readonly Channel<QueuedAlert> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private Task? _worker;

    protected QueuedAlertOutput(string name, int capacity, OutputCounters counters, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Name = name;
        Counters = counters;
        _logger = logger;
        _queue = Channel.CreateBounded<QueuedAlert>(
            new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.DropOldest,
                // The worker's continuation never runs on the engine thread that wrote.
                AllowSynchronousContinuations = false,
            },
            // DropOldest reports success to the writer: this callback is where the loss is seen.
            _ => Interlocked.Increment(ref counters.Dropped));
        counters.AttachQueue(() => _queue.Reader.Count);
    }

    public string Name { get; }

    /// <summary>What became of the alerts handed to it (also read by the metrics, through <see cref="OutputStatus"/>).</summary>
    public OutputCounters Counters { get; }

    protected ILogger Logger => _logger;

    public void Enqueue(MiningDetection detection, string eveJson)
    {
        ArgumentNullException.ThrowIfNull(detection);
        if (!_queue.Writer.TryWrite(new QueuedAlert(eveJson, detection.Severity, detection.TimestampMicros)))
        {
            // Only once stopped: the queue is closed.
            Interlocked.Increment(ref Counters.Dropped);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _worker = Task.Run(RunWorkerAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_worker is null)
        {
            return;
        }
        try
        {
            await _worker.WaitAsync(DrainTime, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // The receiver is slow or gone: stop waiting for it.
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(false);
        var left = 0;
        while (_queue.Reader.TryRead(out _))
        {
            left++;
        }
        Interlocked.Add(ref Counters.Dropped, left);
        var sent = Volatile.Read(ref Counters.Sent);
        var dropped = Volatile.Read(ref Counters.Dropped);
        var failed = Volatile.Read(ref Counters.Failed);
        Log.Stopped(_logger, Name, sent, dropped, failed);
    }

    /// <summary>
    /// Sends until <paramref name="reader"/> completes or <paramref name="stopping"/> is cancelled;
    /// an alert it holds when cancelled is counted as dropped by it. Never throws but
    /// <see cref="OperationCanceledException"/> on <paramref name="stopping"/>.
    /// </summary>
    protected abstract Task RunAsync(ChannelReader<QueuedAlert> reader, CancellationToken stopping);

    /// <summary>Doubles from <paramref name="initial"/> per failure in a row, up to <paramref name="max"/>.</summary>
    protected static TimeSpan Backoff(TimeSpan initial, TimeSpan max, int failures)
    {
        var factor = Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        var delay = initial * factor;
        return delay < max ? delay : max;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task RunWorkerAsync()
    {
        try
        {
            await RunAsync(_queue.Reader, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (Exception e)
        {
            // A bug: the queue keeps filling and dropping (counted), capture goes on.
            Log.WorkerFailed(_logger, Name, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Critical, Message = "The {Output} output stopped working; its alerts are dropped from now on")]
        public static partial void WorkerFailed(ILogger logger, string output, Exception exception);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "The {Output} output stopped: {Sent} alert(s) sent, {Dropped} dropped, {Failed} failed")]
        public static partial void Stopped(ILogger logger, string output, long sent, long dropped, long failed);
    }
}
