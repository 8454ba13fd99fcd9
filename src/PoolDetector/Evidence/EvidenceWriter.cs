using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Hosting;

namespace PoolDetector.Evidence;

/// <summary>A finished evidence capture: its SHA-256, or null when it could not be written.</summary>
internal readonly record struct EvidenceResult(EvidenceCapture Capture, string? Sha256);

/// <summary>
/// The daemon's evidence files are written here, on a task of their own, never on the engine
/// thread: the engine hands over chunks of frames and end marks through a queue that is
/// bounded in bytes (<see cref="TryWrite"/> refuses beyond it and the caller counts the drop;
/// end marks are always taken, they carry no frames and there is one per capture, whose
/// number the recorder bounds). Finished captures wait in <see cref="TryTakeCompleted"/> for the
/// engine thread, which owns the EVE file. Retention sweeps run here too, between files, so a
/// sweep never races a file being written.
/// </summary>
internal sealed partial class EvidenceWriter
{
    /// <summary>The per-record header in a chunk: frame length, link type, timestamp.</summary>
    public const int RecordHeaderBytes = 16;

    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private readonly ConcurrentQueue<EvidenceResult> _completed = new();
    private readonly EvidenceRetention _retention;
    private readonly long _maxDiskBytes;
    private readonly long _maxQueuedBytes;
    private readonly PcapFileWriterFactory _files;
    private readonly ISensorMetrics _metrics;
    private readonly ILogger _logger;
    private long _queuedBytes;
    /// <summary>Writer task only: evidence bytes on disk, as of the last sweep plus what was written since.</summary>
    private long _diskBytes;
    /// <summary>Writer task only: captures failed in a row since the last one written; -1 while writing works.</summary>
    private long _failedInRow = -1;
    private Action? _onCompleted;
    private Task? _task;

    public EvidenceWriter(EvidenceRetention retention, long maxDiskBytes, long maxQueuedBytes, PcapFileWriterFactory files,
        ISensorMetrics metrics, ILogger logger)
    {
        _retention = retention;
        _maxDiskBytes = maxDiskBytes;
        _maxQueuedBytes = maxQueuedBytes;
        _files = files;
        _metrics = metrics;
        _logger = logger;
    }

    private enum Kind
    {
        Frames,
        End,
        Sweep,
    }

    private readonly record struct Work(Kind Kind, EvidenceCapture? Capture, byte[]? Chunk, int Length);

    /// <summary>Bytes of frames waiting to be written.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>True when the queue holds its limit: a new capture would only lose frames.</summary>
    public bool IsFull => QueuedBytes >= _maxQueuedBytes;

    /// <summary>Starts the task: unfinished files of a previous run are removed and retention applied, then captures are written.</summary>
    public void Start(Action? onCompleted)
    {
        _onCompleted = onCompleted;
        _task = Task.Run(RunAsync);
    }

    /// <summary>
    /// Engine thread: queues a chunk of <paramref name="capture"/>'s frames (rented from
    /// <see cref="ArrayPool{T}.Shared"/>; returned by the writer). False, and the chunk is the
    /// caller's again, when the queue is full.
    /// </summary>
    public bool TryWrite(EvidenceCapture capture, byte[] chunk, int length)
    {
        if (Interlocked.Read(ref _queuedBytes) + length > _maxQueuedBytes)
        {
            return false;
        }
        Interlocked.Add(ref _queuedBytes, length);
        if (!_queue.Writer.TryWrite(new Work(Kind.Frames, capture, chunk, length)))
        {
            // Stopped: nothing will write it.
            Interlocked.Add(ref _queuedBytes, -length);
            return false;
        }
        return true;
    }

    /// <summary>Engine thread: no more frames for <paramref name="capture"/>; its file is finished and hashed.</summary>
    public void End(EvidenceCapture capture) => _queue.Writer.TryWrite(new Work(Kind.End, capture, null, 0));

    /// <summary>Any thread: apply retention when the writer next has a moment.</summary>
    public void RequestSweep() => _queue.Writer.TryWrite(new Work(Kind.Sweep, null, null, 0));

    /// <summary>Engine thread: a finished capture, if one is waiting.</summary>
    public bool TryTakeCompleted(out EvidenceResult result) => _completed.TryDequeue(out result);

    /// <summary>
    /// After the last capture was ended: writes what is queued, at most for <paramref name="timeout"/>.
    /// False when it did not finish (a stuck disk): what was left is lost, as on a crash.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        if (_task is null)
        {
            return true;
        }
        try
        {
            return _task.Wait(timeout);
        }
        catch (AggregateException)
        {
            // Logged by the task itself.
            return true;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            var partials = _retention.RemovePartials();
            if (partials > 0)
            {
                Log.PartialsRemoved(_logger, partials, _retention.Directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.SweepFailed(_logger, _retention.Directory, e.Message);
        }
        Sweep();
        await foreach (var work in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                switch (work.Kind)
                {
                    case Kind.Frames:
                        WriteFrames(work.Capture!, work.Chunk!, work.Length);
                        break;
                    case Kind.End:
                        Finish(work.Capture!);
                        break;
                    default:
                        Sweep();
                        break;
                }
            }
            catch (Exception e)
            {
                // A bug must not stop evidence for every later detection.
                Log.WriterFailed(_logger, e);
            }
        }
    }

    private void WriteFrames(EvidenceCapture capture, byte[] chunk, int length)
    {
        Interlocked.Add(ref _queuedBytes, -length);
        try
        {
            if (capture.Error is not null)
            {
                return;
            }
            var records = chunk.AsSpan(0, length);
            while (records.Length >= RecordHeaderBytes)
            {
                var frameLength = BinaryPrimitives.ReadInt32LittleEndian(records);
                var linkType = (LinkType)BinaryPrimitives.ReadInt32LittleEndian(records[4..]);
                var timestamp = BinaryPrimitives.ReadInt64LittleEndian(records[8..]);
                var frame = records.Slice(RecordHeaderBytes, frameLength);
                records = records[(RecordHeaderBytes + frameLength)..];
                if (capture.Writer is null)
                {
                    // The first frame decides the file's link type.
                    Directory.CreateDirectory(Path.GetDirectoryName(capture.FullPath)!);
                    capture.LinkType = linkType;
                    capture.Writer = _files(capture.PartialPath, linkType);
                }
                if (linkType != capture.LinkType)
                {
                    capture.OtherLinkType++;
                    continue;
                }
                capture.Writer.Write(frame, timestamp);
                capture.FramesWritten++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            capture.Error = e.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private void Finish(EvidenceCapture capture)
    {
        if (capture.Error is null && capture.Writer is null)
        {
            capture.Error = "no packet of the flow was held (the recent-packet store had let them go: raise EvidenceBufferMiB)";
        }
        string? sha = null;
        if (capture.Error is null)
        {
            try
            {
                sha = EvidenceFile.Complete(capture.Writer!, capture.PartialPath, capture.FullPath);
                capture.Writer!.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                capture.Error = e.Message;
            }
        }
        if (sha is null)
        {
            EvidenceFile.Discard(capture.Writer, capture.PartialPath);
            _metrics.EvidenceFailed();
            // The first failure of a run of them is a warning; the rest (a full disk fails every
            // capture) are counted in the metric and logged at debug, until one is written again.
            if (_failedInRow < 0)
            {
                _failedInRow = 0;
                Log.CaptureFailed(_logger, capture.FullPath, capture.Error!);
            }
            else
            {
                Log.CaptureFailedAgain(_logger, capture.FullPath, capture.Error!);
            }
            _failedInRow++;
        }
        else
        {
            if (_failedInRow > 0)
            {
                Log.CapturesWrittenAgain(_logger, _failedInRow);
            }
            _failedInRow = -1;
            var size = SizeOf(capture.FullPath);
            _diskBytes += size;
            _metrics.EvidenceWritten(size);
            _metrics.EvidenceStored(_diskBytes);
            Log.CaptureWritten(_logger, capture.FullPath, capture.FramesWritten, size, sha);
            if (capture.FramesDropped > 0 || capture.OtherLinkType > 0 || capture.Truncated)
            {
                Log.CaptureIncomplete(_logger, capture.FullPath, capture.FramesDropped, capture.OtherLinkType, capture.Truncated);
            }
            if (_diskBytes > _maxDiskBytes)
            {
                Sweep();
            }
        }
        _completed.Enqueue(new EvidenceResult(capture, sha));
        _onCompleted?.Invoke();
    }

    private void Sweep()
    {
        RetentionResult result;
        try
        {
            result = _retention.Sweep();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.SweepFailed(_logger, _retention.Directory, e.Message);
            return;
        }
        _diskBytes = result.RemainingBytes;
        if (result.DeletedForAge > 0)
        {
            _metrics.EvidenceDeleted(forAge: true, result.DeletedForAge);
        }
        if (result.DeletedForBudget > 0)
        {
            _metrics.EvidenceDeleted(forAge: false, result.DeletedForBudget);
        }
        _metrics.EvidenceStored(_diskBytes);
        if (result.DeletedForAge + result.DeletedForBudget > 0)
        {
            Log.Swept(_logger, result.DeletedForAge, result.DeletedForBudget, result.RemainingFiles, result.RemainingBytes, _retention.Directory);
        }
        if (result.Failed > 0)
        {
            Log.SweepIncomplete(_logger, result.Failed, _retention.Directory);
        }
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Evidence {Path}: {Packets} packet(s), {Bytes} bytes, sha256 {Sha256}")]
        public static partial void CaptureWritten(ILogger logger, string path, long packets, long bytes, string sha256);

        [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Evidence {Path} is incomplete: {Dropped} frame(s) dropped (evidence queue full), {OtherLinkType} frame(s) of another link type left out, per-file limit reached: {Truncated}")]
        public static partial void CaptureIncomplete(ILogger logger, string path, long dropped, long otherLinkType, bool truncated);

        [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "Evidence {Path} could not be written: {Reason}; later failures are counted (pooldetector_evidence_files_total{{result=\"error\"}}) and logged at debug until a capture is written again")]
        public static partial void CaptureFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 808, Level = LogLevel.Debug, Message = "Evidence {Path} could not be written either: {Reason}")]
        public static partial void CaptureFailedAgain(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 809, Level = LogLevel.Information, Message = "Evidence captures are written again, after {Failed} that could not be")]
        public static partial void CapturesWrittenAgain(ILogger logger, long failed);

        [LoggerMessage(EventId = 803, Level = LogLevel.Information, Message = "Evidence retention: deleted {ForAge} file(s) past EvidenceMaxAgeDays and {ForBudget} over EvidenceMaxMiB, oldest first; {Files} file(s), {Bytes} bytes kept in {Directory}")]
        public static partial void Swept(ILogger logger, int forAge, int forBudget, int files, long bytes, string directory);

        [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Evidence retention: {Failed} file(s) in {Directory} could not be deleted")]
        public static partial void SweepIncomplete(ILogger logger, int failed, string directory);

        [LoggerMessage(EventId = 805, Level = LogLevel.Error, Message = "Evidence retention: cannot sweep {Directory}: {Reason}")]
        public static partial void SweepFailed(ILogger logger, string directory, string reason);

        [LoggerMessage(EventId = 806, Level = LogLevel.Information, Message = "Evidence: removed {Count} unfinished capture(s) a previous run left in {Directory}")]
        public static partial void PartialsRemoved(ILogger logger, int count, string directory);

        [LoggerMessage(EventId = 807, Level = LogLevel.Error, Message = "The evidence writer failed on one item; it goes on with the next")]
        public static partial void WriterFailed(ILogger logger, Exception exception);
    }
}
