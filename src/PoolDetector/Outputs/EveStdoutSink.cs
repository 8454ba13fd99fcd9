using System.Threading.Channels;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs;

/// <summary>
/// Alerts on stdout (<c>EveStdout</c>), for containers and `journalctl -o cat`. A reader
/// that stops reading must not stall capture: alerts wait in a bounded queue drained by
/// a writer task, and are dropped (counted) when it is full.
/// </summary>
internal sealed class EveStdoutSink : IAsyncDisposable
{
    private readonly Channel<byte[]> _queue;
    private readonly Stream _output;
    private readonly Task _writer;
    private readonly OutputStatus _status;

    public EveStdoutSink(Stream output, int capacity, OutputStatus? status = null)
    {
        _output = output;
        _status = status ?? new OutputStatus();
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            // Wait makes TryWrite fail when full (DropWrite would report success): the drop is ours to count.
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteAsync);
    }

    public long Dropped => Interlocked.Read(ref _status.EveStdoutDropped);

    /// <summary>Engine thread: queues one event line; never waits.</summary>
    public void Write(MiningDetection detection, EveEventType type = EveEventType.Alert) => Enqueue(EveJson.ToJson(detection, type));

    private void Enqueue(string json)
    {
        // An allocation per alert (not per packet): alerts are rare.
        var line = System.Text.Encoding.UTF8.GetBytes(json + "\n");
        if (!_queue.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _status.EveStdoutDropped);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // Flushing what is queued is worth a moment at shutdown, not forever.
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A blocked stdout: what is still queued is lost, as it would be on a crash.
        }
    }

    private async Task WriteAsync()
    {
        await foreach (var line in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _output.WriteAsync(line).ConfigureAwait(false);
                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // stdout closed: count the rest as dropped.
                Interlocked.Increment(ref _status.EveStdoutDropped);
            }
        }
    }
}
