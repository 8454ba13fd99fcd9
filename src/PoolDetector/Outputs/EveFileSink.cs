using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs;

/// <summary>
/// The EVE alert file: appended to, one event per line, each line written whole with one
/// call so a SIEM shipper tailing it sees each alert at once. <see cref="RequestReopen"/>
/// (SIGHUP) makes the next write close the file and open the path again, so logrotate's
/// move-then-HUP works: alerts go to the new file, none is lost between. An event that cannot
/// be written (disk full, file unopenable) is held in memory, in order, up to
/// <see cref="DefaultHoldBytes"/>, and written when the file takes writes again (retried with
/// the next event and at most once a second); only beyond that bound is an event dropped and
/// counted (<see cref="OutputStatus.EveFileDropped"/>). The outage is logged once and its end
/// once; the daemon goes on detecting. Engine thread only, except <see cref="RequestReopen"/>.
/// </summary>
internal sealed partial class EveFileSink : IDisposable
{
    /// <summary>What an outage may hold: some 15,000 alerts at about a kilobyte each.</summary>
    public const long DefaultHoldBytes = 16L * 1024 * 1024;

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly OutputStatus _status;
    private readonly long _maxHeldBytes;
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    /// <summary>Lines that could not be written yet, oldest first; one array per event, only during an outage.</summary>
    private readonly Queue<byte[]> _held = new();
    private long _heldBytes;
    private Utf8JsonWriter? _writer;
    private SafeFileHandle? _file;
    private volatile bool _reopenRequested;
    private long _nextOpenAttempt;
    private long _nextRetry;
    /// <summary>Events held since the outage began; -1 while writing works (the outage is logged once, not per event).</summary>
    private long _outageHeld = -1;
    private long _outageDropped;

    public EveFileSink(string path, ILogger logger, OutputStatus? status = null, long maxHeldBytes = DefaultHoldBytes)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _status = status ?? new OutputStatus();
        _maxHeldBytes = maxHeldBytes;
    }

    public string FilePath => _path;

    /// <summary>Events that could not be written nor held (the file could not be written, and the hold was full).</summary>
    public long Failed => Volatile.Read(ref _status.EveFileDropped);

    public long Written { get; private set; }

    /// <summary>Events waiting for the file to take writes again.</summary>
    public int Held => _held.Count;

    /// <summary>Opens the file now, so a start-up problem shows at start-up.</summary>
    public void Open()
    {
        _file = File.OpenHandle(_path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        Log.Opened(_logger, _path);
    }

    /// <summary>Any thread (the SIGHUP handler): the next write reopens the path.</summary>
    public void RequestReopen() => _reopenRequested = true;

    /// <summary>Reopens now if asked, even without an alert to write (so the new file exists at once).</summary>
    public void ReopenIfRequested()
    {
        if (!_reopenRequested)
        {
            return;
        }
        _reopenRequested = false;
        _file?.Dispose();
        _file = null;
        _nextOpenAttempt = 0;
        TryOpen(out _);
    }

    /// <summary>Engine loop, every turn: writes held events once the file takes them, at most a try a second.</summary>
    public void RetryHeld()
    {
        if (_held.Count > 0 && Environment.TickCount64 >= _nextRetry)
        {
            WriteHeld();
        }
    }

    /// <summary>Writes one event line: an alert, or one of its follow-ups (<see cref="EveEventType"/>).</summary>
    public void Write(MiningDetection detection, EveEventType type = EveEventType.Alert)
    {
        ReopenIfRequested();
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer, EveJson.WriterOptions);
        }
        else
        {
            _writer.Reset(_buffer);
        }
        EveJson.Write(_writer, detection, type);
        _writer.Flush();
        _buffer.Write("\n"u8);
        // Held events go first, so the file keeps the order events happened in.
        if (_held.Count > 0)
        {
            WriteHeld();
        }
        string? problem = null;
        if (_held.Count > 0 || !TryAppend(_buffer.WrittenSpan, out problem))
        {
            Hold(_buffer.WrittenSpan, problem);
            return;
        }
        Written++;
    }

    public void Dispose()
    {
        // A last try at stop; what still cannot be written is lost, and said so.
        if (_held.Count > 0)
        {
            WriteHeld();
        }
        if (_held.Count > 0)
        {
            Interlocked.Add(ref _status.EveFileDropped, _held.Count);
            Log.LostAtStop(_logger, _path, _held.Count);
            _held.Clear();
        }
        _writer?.Dispose();
        _file?.Dispose();
    }

    /// <summary>Appends one line at the file's end; false (the file as it was) when it cannot.</summary>
    private bool TryAppend(ReadOnlySpan<byte> line, out string? problem)
    {
        problem = null;
        if (_file is null && !TryOpen(out problem))
        {
            return false;
        }
        var file = _file!;
        long end = 0;
        try
        {
            // At the file's end as it is now, not a remembered offset: a file truncated under
            // us (logrotate's copytruncate) is written from its new end, with no hole.
            end = RandomAccess.GetLength(file);
            RandomAccess.Write(file, line, end);
            return true;
        }
        catch (IOException e)
        {
            // A full disk may take part of the line before it refuses the rest: cut that part
            // off, or the next event would be glued to half of this one and neither line would
            // parse. Shrinking a file needs no free space.
            try
            {
                RandomAccess.SetLength(file, end);
            }
            catch (IOException)
            {
                // Cannot even truncate: start again from a fresh open.
                file.Dispose();
                _file = null;
            }
            problem = e.Message;
            return false;
        }
    }

    private void Hold(ReadOnlySpan<byte> line, string? problem)
    {
        if (_outageHeld < 0)
        {
            // Once per outage: a full disk under a busy sensor would otherwise log every event
            // (and fill the journal's disk too).
            _outageHeld = 0;
            _outageDropped = 0;
            Log.WriteFailed(_logger, _path, problem ?? "cannot open it", _maxHeldBytes / (1024 * 1024));
        }
        _nextRetry = Environment.TickCount64 + 1000;
        if (_heldBytes + line.Length > _maxHeldBytes)
        {
            Interlocked.Increment(ref _status.EveFileDropped);
            _outageDropped++;
            return;
        }
        _held.Enqueue(line.ToArray());
        _heldBytes += line.Length;
        _outageHeld++;
    }

    /// <summary>Writes held events, oldest first, until one fails or none is left.</summary>
    private void WriteHeld()
    {
        while (_held.TryPeek(out var line))
        {
            if (!TryAppend(line, out _))
            {
                _nextRetry = Environment.TickCount64 + 1000;
                return;
            }
            _held.Dequeue();
            _heldBytes -= line.Length;
            Written++;
        }
        if (_outageHeld >= 0)
        {
            Log.Recovered(_logger, _path, _outageHeld, _outageDropped);
            _outageHeld = -1;
        }
    }

    private bool TryOpen(out string? problem)
    {
        problem = null;
        // A failing path (directory gone, no permission) is retried at most once a second.
        var now = Environment.TickCount64;
        if (now < _nextOpenAttempt)
        {
            return false;
        }
        try
        {
            Open();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _nextOpenAttempt = now + 1000;
            problem = e.Message;
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Writing alerts to {Path}")]
        public static partial void Opened(ILogger logger, string path);

        [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Cannot write the alert file {Path}: {Reason}; events are held in memory (up to {HoldMiB} MiB) and written when it can be written again, beyond that dropped and counted (pooldetector_eve_events_dropped_total); detection goes on")]
        public static partial void WriteFailed(ILogger logger, string path, string reason, long holdMiB);

        [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Writing alerts to {Path} again; {Held} event(s) held while it could not be written are written now, {Dropped} did not fit and were dropped")]
        public static partial void Recovered(ILogger logger, string path, long held, long dropped);

        [LoggerMessage(EventId = 304, Level = LogLevel.Error, Message = "Stopping with {Count} event(s) for {Path} still unwritten: they are lost (counted in pooldetector_eve_events_dropped_total)")]
        public static partial void LostAtStop(ILogger logger, string path, int count);
    }
}
