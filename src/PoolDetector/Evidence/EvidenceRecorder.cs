using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Hosting;
using PoolDetector.Core.Flows;

namespace PoolDetector.Evidence;

/// <summary>
/// The daemon's evidence captures, engine side. Every frame the engine has processed goes into
/// the <see cref="RecentPacketStore"/>. At a detection's first report (the live alert) the
/// capture's path is chosen, the flow's frames are taken from the store (VLAN + 5-tuple, both
/// directions, from the flow's first packet) and the flow is followed: its next frames are
/// added for <c>EvidenceFollowSeconds</c> or <c>EvidenceFollowPackets</c>, or until the flow
/// ends, whichever comes first; then the file is finished and hashed by the
/// <see cref="EvidenceWriter"/> on its own task. The detection goes on to the next sink with
/// <see cref="MiningDetection.EvidencePcap"/> set (the alert names the file before it exists);
/// the finished capture comes back through <see cref="PublishCompleted"/> with its SHA-256, for
/// the evidence event. Engine thread only. Nothing here waits for the disk: a full queue is a
/// drop, counted.
/// </summary>
internal sealed partial class EvidenceRecorder : IDetectionSink, IFrameSink
{
    /// <summary>Captures begun and not yet finished; beyond it a detection gets no capture (counted).</summary>
    public const int MaxOpenCaptures = 256;

    /// <summary>No evidence file grows beyond this: the start of a session and its first minutes say what it is.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>Frames waiting for the writer, at most; beyond it frames are dropped (counted).</summary>
    public const long MaxQueuedBytes = 64L * 1024 * 1024;

    /// <summary>Chunks of frames handed to the writer: large enough that the queue sees few items, small enough to be pooled.</summary>
    public const int ChunkBytes = 64 * 1024;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly IDetectionSink _next;
    private readonly RecentPacketStore _store;
    private readonly EvidenceWriter _writer;
    private readonly string _directory;
    private readonly long _followTicks;
    private readonly int _followPackets;
    private readonly TimeProvider _time;
    private readonly ISensorMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<FlowKey, EvidenceCapture> _following = [];
    private readonly List<EvidenceCapture> _due = [];
    /// <summary>Names chosen and not yet finished: two captures must not pick the same one.</summary>
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Func<string, bool> _isTaken;
    /// <summary>The capture <see cref="OnFrame"/> fills while the store is scanned.</summary>
    private EvidenceCapture? _filling;
    private long _nextSweep;

    public EvidenceRecorder(SensorOptions options, IDetectionSink next, PcapFileWriterFactory files, TimeProvider time,
        ISensorMetrics metrics, ILogger<EvidenceRecorder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.EvidenceDirectory);
        _next = next;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _directory = Path.GetFullPath(options.EvidenceDirectory);
        _store = new RecentPacketStore(options.EvidenceBufferMiB * 1024 * 1024, TimeSpan.FromSeconds(options.EvidenceBufferSeconds));
        _followTicks = options.EvidenceFollowSeconds * time.TimestampFrequency;
        _followPackets = options.EvidenceFollowPackets;
        var retention = new EvidenceRetention(_directory, options.EvidenceMaxMiB * 1024L * 1024, TimeSpan.FromDays(options.EvidenceMaxAgeDays), time);
        _writer = new EvidenceWriter(retention, options.EvidenceMaxMiB * 1024L * 1024, MaxQueuedBytes, files, metrics, logger);
        _isTaken = name => _inFlight.Contains(name) || File.Exists(Path.Combine(_directory, name));
    }

    public string Directory => _directory;

    public RecentPacketStore Store => _store;

    /// <summary>Captures being written or followed.</summary>
    public int OpenCaptures => _inFlight.Count;

    /// <summary>Detections that got no capture (queue full, too many open), and frames left out of captures (queue full).</summary>
    public long FilesDropped { get; private set; }

    public long FramesDropped { get; private set; }

    /// <summary>Before the first frame: the writer starts (clean-up of a previous run, retention). <paramref name="wake"/> is called when a capture is finished.</summary>
    public void Start(Action? wake)
    {
        try
        {
            // Validation made sure it can be created; systemd's StateDirectory= holds it by default.
            System.IO.Directory.CreateDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.DirectoryFailed(_logger, _directory, e.Message);
        }
        Log.Started(_logger, _directory, _store.CapacityBytes / (1024 * 1024));
        _nextSweep = _time.GetTimestamp() + (long)(SweepInterval.TotalSeconds * _time.TimestampFrequency);
        _writer.Start(wake);
    }

    /// <summary>Engine thread, after the engine processed the frame: kept for later detections, and added to the capture following its flow.</summary>
    public void Record(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        _store.Record(linkType, frame, timestampMicros);
        // Decoded a second time only while a flow is followed, which is rare next to the traffic.
        if (_following.Count == 0 || !EvidenceFlowKey.TryOf(linkType, frame, out var key) || !_following.TryGetValue(key, out var capture))
        {
            return;
        }
        if (!Add(capture, linkType, frame, timestampMicros) || capture.Frames - capture.HeldAtVerdict >= _followPackets)
        {
            _following.Remove(key);
            Finish(capture);
        }
    }

    public void OnDetection(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.ReportedBefore)
        {
            // The flow ended: what follows with its tuple belongs to another connection.
            if (_following.Remove(EvidenceFlowKey.Of(detection), out var ended))
            {
                Finish(ended);
            }
            _next.OnDetection(detection);
            return;
        }
        _next.OnDetection(Begin(detection));
    }

    /// <summary>Engine thread, about once a second: ends the follows whose time is up, and asks for a retention sweep once a minute.</summary>
    public void Tick()
    {
        var now = _time.GetTimestamp();
        if (_following.Count > 0)
        {
            foreach (var capture in _following.Values)
            {
                if (now >= capture.FollowUntil)
                {
                    _due.Add(capture);
                }
            }
            foreach (var capture in _due)
            {
                _following.Remove(capture.Key);
                Finish(capture);
            }
            _due.Clear();
        }
        if (now >= _nextSweep)
        {
            _nextSweep = now + (long)(SweepInterval.TotalSeconds * _time.TimestampFrequency);
            _writer.RequestSweep();
        }
    }

    /// <summary>Engine thread: hands each finished capture's detection, SHA-256 set, to <paramref name="publish"/>. Returns how many finished.</summary>
    public int PublishCompleted(Action<MiningDetection> publish)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var count = 0;
        while (_writer.TryTakeCompleted(out var result))
        {
            count++;
            _inFlight.Remove(result.Capture.RelativePath);
            if (result.Sha256 is { } sha)
            {
                publish(result.Capture.Detection with { EvidenceSha256 = sha });
            }
        }
        return count;
    }

    /// <summary>
    /// Engine thread, after the last frame and the engine's end: finishes every capture still
    /// following, and waits (at most <paramref name="timeout"/>) for the writer to write them.
    /// </summary>
    public void Stop(TimeSpan timeout)
    {
        foreach (var capture in _following.Values)
        {
            Finish(capture);
        }
        _following.Clear();
        if (!_writer.Stop(timeout))
        {
            Log.StopTimedOut(_logger, timeout);
        }
    }

    /// <summary>The store's frames of the flow being begun go into its capture.</summary>
    void IFrameSink.OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
        Add(_filling!, linkType, frame, timestampMicros);

    private MiningDetection Begin(MiningDetection detection)
    {
        if (_inFlight.Count >= MaxOpenCaptures || _writer.IsFull || EvidenceFileNames.Choose(detection, _isTaken) is not { } name)
        {
            FilesDropped++;
            _metrics.EvidenceDropped(files: 1, frames: 0);
            return detection;
        }
        var alerted = detection with { EvidencePcap = Path.Combine(_directory, name) };
        var key = EvidenceFlowKey.Of(detection);
        var capture = new EvidenceCapture(alerted, key, name, alerted.EvidencePcap);
        _inFlight.Add(name);

        // A flow reported again with the same tuple (a new connection) ends the old follow.
        if (_following.Remove(key, out var previous))
        {
            Finish(previous);
        }
        _filling = capture;
        _store.Scan(key, detection.FirstSeenMicros, this);
        _filling = null;
        capture.FollowUntil = _time.GetTimestamp() + _followTicks;
        capture.HeldAtVerdict = capture.Frames;
        if (detection.FlowEnded || capture.Truncated || _followPackets == 0 || _followTicks == 0)
        {
            // Reported at its end (nothing follows), or nothing more is wanted.
            Finish(capture);
        }
        else
        {
            _following[key] = capture;
        }
        return alerted;
    }

    /// <summary>Copies a frame into the capture's chunk, handing full chunks to the writer. False once the file's bound is reached.</summary>
    private bool Add(EvidenceCapture capture, LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        if (capture.Truncated)
        {
            return false;
        }
        if (capture.Bytes + EvidenceWriter.RecordHeaderBytes + frame.Length > MaxFileBytes)
        {
            capture.Truncated = true;
            return false;
        }
        var need = EvidenceWriter.RecordHeaderBytes + frame.Length;
        if (capture.Chunk is not null && capture.ChunkLength + need > capture.Chunk.Length)
        {
            Flush(capture);
        }
        capture.Chunk ??= ArrayPool<byte>.Shared.Rent(Math.Max(ChunkBytes, need));
        var record = capture.Chunk.AsSpan(capture.ChunkLength, need);
        BinaryPrimitives.WriteInt32LittleEndian(record, frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], (int)linkType);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], timestampMicros);
        frame.CopyTo(record[EvidenceWriter.RecordHeaderBytes..]);
        capture.ChunkLength += need;
        capture.ChunkFrames++;
        capture.Frames++;
        capture.Bytes += need;
        return true;
    }

    private void Flush(EvidenceCapture capture)
    {
        if (capture.Chunk is not { } chunk)
        {
            return;
        }
        if (!_writer.TryWrite(capture, chunk, capture.ChunkLength))
        {
            ArrayPool<byte>.Shared.Return(chunk);
            capture.FramesDropped += capture.ChunkFrames;
            FramesDropped += capture.ChunkFrames;
            _metrics.EvidenceDropped(files: 0, frames: capture.ChunkFrames);
        }
        capture.Chunk = null;
        capture.ChunkLength = 0;
        capture.ChunkFrames = 0;
    }

    private void Finish(EvidenceCapture capture)
    {
        Flush(capture);
        _writer.End(capture);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 810, Level = LogLevel.Information, Message = "Evidence captures go to {Directory}; the last frames are held in {BufferMiB} MiB")]
        public static partial void Started(ILogger logger, string directory, int bufferMiB);

        [LoggerMessage(EventId = 811, Level = LogLevel.Warning, Message = "Evidence: the writer did not finish within {Timeout} at stop; unfinished captures are lost")]
        public static partial void StopTimedOut(ILogger logger, TimeSpan timeout);

        [LoggerMessage(EventId = 812, Level = LogLevel.Error, Message = "Evidence: cannot create {Directory}: {Reason}; captures fail until it exists")]
        public static partial void DirectoryFailed(ILogger logger, string directory, string reason);
    }
}
