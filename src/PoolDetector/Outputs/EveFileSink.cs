using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs;

/// <summary>
/// The EVE alert file: appended to, one event per line, flushed per line so a SIEM
/// shipper tailing it sees each alert at once. <see cref="RequestReopen"/> (SIGHUP) makes
/// the next write close the file and open the path again, so logrotate's move-then-HUP
/// works: alerts go to the new file, none is lost between. Engine thread only, except
/// <see cref="RequestReopen"/>.
/// </summary>
internal sealed partial class EveFileSink : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private Utf8JsonWriter? _writer;
    private FileStream? _stream;
    private volatile bool _reopenRequested;
    private long _nextOpenAttempt;

    public EveFileSink(string path, ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    public string FilePath => _path;

    /// <summary>Alerts that could not be written (the file could not be opened or written).</summary>
    public long Failed { get; private set; }

    public long Written { get; private set; }

    /// <summary>Opens the file now, so a start-up problem shows at start-up.</summary>
    public void Open()
    {
        _stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
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
        _stream?.Dispose();
        _stream = null;
        TryOpen();
    }

    /// <summary>Writes one event line: an alert, or one of its follow-ups (<see cref="EveEventType"/>).</summary>
    public void Write(MiningDetection detection, EveEventType type = EveEventType.Alert)
    {
        ReopenIfRequested();
        if (_stream is null && !TryOpen())
        {
            Failed++;
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
        try
        {
            // One write per line: readers never see half an event followed by another's.
            _stream!.Write(_buffer.WrittenSpan);
            _stream.Flush();
            Written++;
        }
        catch (IOException e)
        {
            Failed++;
            Log.WriteFailed(_logger, _path, e.Message);
            _stream!.Dispose();
            _stream = null;
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _stream?.Dispose();
    }

    private bool TryOpen()
    {
        // A failing path (disk full, directory gone) is retried at most once a second.
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
            Log.OpenFailed(_logger, _path, e.Message);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Writing alerts to {Path}")]
        public static partial void Opened(ILogger logger, string path);

        [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Cannot open the alert file {Path}: {Reason}; alerts are lost until it can be opened")]
        public static partial void OpenFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Cannot write the alert file {Path}: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);
    }
}
