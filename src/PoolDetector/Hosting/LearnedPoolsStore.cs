using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using PoolDetector.Core.Detection.Memory;

namespace PoolDetector.Hosting;

/// <summary>
/// Keeps the engine's learned pools across restarts in <c>LearnedPoolsFile</c> (the pool-list
/// format, so <c>pooldetector intel export</c> and other sensors read it). Loaded once at start,
/// before the engine thread exists; saved from the engine thread, because
/// <see cref="LearnedPools"/> is not thread-safe: the list is snapshotted to text there and
/// written beside the file, then renamed over it, so a crash mid-write never leaves half a file.
/// At most 10,000 endpoints (1-2 MB): written on the engine thread too, at most once per
/// <c>LearnedPoolsSaveInterval</c>, which the frame hand-off absorbs. A failure is logged,
/// counted and retried at the next interval; it never stops the sensor.
/// </summary>
internal sealed partial class LearnedPoolsStore
{
    public const string DefaultPath = "/var/lib/pooldetector/learned-pools.tsv";

    /// <summary>Bad lines listed one by one; beyond that a file of garbage is counted, not echoed.</summary>
    public const int MaxProblemsListed = 100;

    private readonly string? _path;
    private readonly TimeSpan _interval;
    private readonly ISensorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _lastSave;

    public LearnedPoolsStore(SensorOptions options, ISensorMetrics metrics, TimeProvider time, ILogger<LearnedPoolsStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = string.IsNullOrWhiteSpace(options.LearnedPoolsFile) ? null : Path.GetFullPath(options.LearnedPoolsFile);
        _interval = options.LearnedPoolsSaveInterval;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _lastSave = time.GetTimestamp();
    }

    /// <summary>The file, or null when learned pools are kept in memory only.</summary>
    public string? FilePath => _path;

    /// <summary>
    /// At start: what earlier runs learned. A missing file starts empty; bad lines are logged
    /// (<c>file:line: problem</c>) and skipped; an unreadable file is logged and starts empty.
    /// </summary>
    public LearnedPools Load()
    {
        var pools = new LearnedPools();
        if (_path is null)
        {
            Log.MemoryOnly(_logger);
            return pools;
        }
        var directory = Path.GetDirectoryName(_path)!;
        try
        {
            // Validation made sure it can be created; systemd's StateDirectory= usually has.
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.DirectoryFailed(_logger, directory, e.Message);
        }
        if (!File.Exists(_path))
        {
            Log.StartingEmpty(_logger, _path);
            return pools;
        }
        var problems = new List<string>();
        try
        {
            using var reader = new StreamReader(_path, Encoding.UTF8);
            pools.Load(reader, problems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ReadFailed(_logger, _path, e.Message);
            return new LearnedPools();
        }
        for (var i = 0; i < problems.Count && i < MaxProblemsListed; i++)
        {
            Log.BadLine(_logger, _path, problems[i]);
        }
        Log.Loaded(_logger, pools.Count, _path, problems.Count);
        return pools;
    }

    /// <summary>Engine thread, between frames: saves when something new was learned and the interval has passed.</summary>
    public void SaveIfDue(LearnedPools pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (_path is null || !pools.Changed || _time.GetElapsedTime(_lastSave) < _interval)
        {
            return;
        }
        Save(pools, atStop: false);
    }

    /// <summary>Engine thread, after the last frame: saves whatever is not saved yet.</summary>
    public void SaveAtStop(LearnedPools pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (_path is not null && pools.Changed)
        {
            Save(pools, atStop: true);
        }
    }

    private void Save(LearnedPools pools, bool atStop)
    {
        _lastSave = _time.GetTimestamp();
        var text = Snapshot(pools);
        // Cleared before the write so that what is learned during it is saved next time; put
        // back on failure so the next interval tries again.
        pools.Changed = false;
        try
        {
            WriteAtomically(_path!, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            pools.Changed = true;
            _metrics.LearnedPoolsSaved(success: false);
            Log.SaveFailed(_logger, _path!, e.Message, _interval);
            return;
        }
        _metrics.LearnedPoolsSaved(success: true);
        if (atStop)
        {
            Log.SavedAtStop(_logger, pools.Count, _path!);
        }
        else
        {
            Log.Saved(_logger, pools.Count, _path!);
        }
    }

    /// <summary>The list as text, taken on the thread that owns it.</summary>
    public static string Snapshot(LearnedPools pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        pools.Save(writer);
        return writer.ToString();
    }

    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8, no BOM) to a temporary file in the same directory,
    /// flushed to disk, then renames it over <paramref name="path"/>: readers see the old file
    /// or the new one, never a torn one. The temporary name ends in <c>.tmp</c>, which the intel
    /// loader does not read, should a crash leave it behind in <c>rules/intel/</c>.
    /// </summary>
    public static void WriteAtomically(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The original failure is the one worth reporting.
            }
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Learned pools: {Endpoints} endpoint(s) loaded from {Path} ({Problems} bad line(s) skipped)")]
        public static partial void Loaded(ILogger logger, int endpoints, string path, int problems);

        [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Learned pools: {Path} does not exist yet; starting empty")]
        public static partial void StartingEmpty(ILogger logger, string path);

        [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Learned pools: {Path}:{Problem}; line skipped")]
        public static partial void BadLine(ILogger logger, string path, string problem);

        [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Learned pools: cannot read {Path}: {Reason}; starting empty (the next save replaces it)")]
        public static partial void ReadFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 704, Level = LogLevel.Debug, Message = "Learned pools: {Endpoints} endpoint(s) saved to {Path}")]
        public static partial void Saved(ILogger logger, int endpoints, string path);

        [LoggerMessage(EventId = 705, Level = LogLevel.Error, Message = "Learned pools: cannot save {Path}: {Reason}; retrying in {Interval}")]
        public static partial void SaveFailed(ILogger logger, string path, string reason, TimeSpan interval);

        [LoggerMessage(EventId = 706, Level = LogLevel.Information, Message = "Learned pools are kept in memory only (PoolDetector:LearnedPoolsFile is empty)")]
        public static partial void MemoryOnly(ILogger logger);

        [LoggerMessage(EventId = 707, Level = LogLevel.Warning, Message = "Learned pools: cannot create directory {Directory}: {Reason}; saving fails until it exists")]
        public static partial void DirectoryFailed(ILogger logger, string directory, string reason);

        [LoggerMessage(EventId = 708, Level = LogLevel.Information, Message = "Learned pools: {Endpoints} endpoint(s) saved to {Path} at stop")]
        public static partial void SavedAtStop(ILogger logger, int endpoints, string path);
    }
}
