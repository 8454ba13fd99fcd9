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
/// be written (disk full, file unopenable) is dropped and counted
/// (<see cref="OutputStatus.EveFileDropped"/>), the outage logged once and its end once; the
/// daemon goes on detecting. Engine thread only, except <see cref="RequestReopen"/>.
/// </summary>
internal sealed partial class EveFileSink : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly OutputStatus _status;
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private Utf8JsonWriter? _writer;
    private SafeFileHandle? _file;
    private volatile bool _reopenRequested;
    private long _nextOpenAttempt;
    /// <summary>Events dropped since the outage began; -1 while writing works (the outage is logged once, not per event).</summary>
    private long _outageDropped = -1;

    public EveFileSink(string path, ILogger logger, OutputStatus? status = null)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _status = status ?? new OutputStatus();
    }

    public string FilePath => _path;

    /// <summary>Events that could not be written (the file could not be opened or written).</summary>
    public long Failed => Volatile.Read(ref _status.EveFileDropped);

    public long Written { get; private set; }

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

    /// <summary>Writes one event line: an alert, or one of its follow-ups (<see cref="EveEventType"/>).</summary>
    public void Write(MiningDetection detection, EveEventType type = EveEventType.Alert)
    {
        ReopenIfRequested();
        string? problem = null;
        if (_file is null && !TryOpen(out problem))
        {
            Dropped(problem);
            return;
        }
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
        var file = _file!;
        long end = 0;
        try
        {
            // At the file's end as it is now, not a remembered offset: a file truncated under
            // us (logrotate's copytruncate) is written from its new end, with no hole.
            end = RandomAccess.GetLength(file);
            RandomAccess.Write(file, _buffer.WrittenSpan, end);
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
            Dropped(e.Message);
            return;
        }
        Written++;
        if (_outageDropped >= 0)
        {
            Log.Recovered(_logger, _path, _outageDropped);
            _outageDropped = -1;
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _file?.Dispose();
    }

    private void Dropped(string? problem)
    {
        Interlocked.Increment(ref _status.EveFileDropped);
        if (_outageDropped < 0)
        {
            // Once per outage: a full disk under a busy sensor would otherwise log every event
            // (and fill the journal's disk too). The count goes on in the metric.
            _outageDropped = 0;
            Log.WriteFailed(_logger, _path, problem ?? "cannot open it");
        }
        _outageDropped++;
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

        [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Cannot write the alert file {Path}: {Reason}; events are dropped and counted (pooldetector_eve_events_dropped_total) until it can be written again, detection goes on")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Writing alerts to {Path} again; {Dropped} event(s) were dropped while it could not be written")]
        public static partial void Recovered(ILogger logger, string path, long dropped);
    }
}
