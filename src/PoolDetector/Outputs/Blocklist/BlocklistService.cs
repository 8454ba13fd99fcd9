using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PoolDetector.Outputs.Blocklist;

/// <summary>
/// Keeps the block list current: once a second it is rebuilt from the detection aggregates (a
/// copy of the offending ones, taken under the aggregator's short lock, never on the engine
/// thread), published for the HTTP endpoint, counted for the metrics, and, when
/// <c>BlocklistFile</c> is set and something changed, written to disk: each file as a new one
/// beside it renamed over it, so a firewall reading it never sees half a list. At start the
/// previous run's JSON is read back, so a restart lifts no block before its time. Registered
/// before the engine, it stops after it: the last write has the flows the engine ended at stop.
/// </summary>
internal sealed partial class BlocklistService : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly DetectionAggregator _aggregator;
    private readonly OutputStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<BlocklistService> _logger;
    private readonly long _ttlMicros;
    private readonly (string Text, string Json)? _paths;
    private readonly Lock _refreshLock = new();
    private List<BlocklistEntry> _carried = [];
    private BlocklistSnapshot _current = BlocklistSnapshot.Empty;
    private byte[]? _writtenText;
    private byte[]? _writtenJson;
    private bool _writeFailing;

    public BlocklistService(DetectionAggregator aggregator, OutputStatus status, TimeSpan ttl, (string Text, string Json)? paths, TimeProvider time, ILogger<BlocklistService> logger)
    {
        _aggregator = aggregator;
        _status = status;
        _ttlMicros = (long)ttl.TotalMicroseconds;
        _paths = paths;
        _time = time;
        _logger = logger;
    }

    /// <summary>The list as last built: what <c>/blocklist.txt</c> and <c>/blocklist.json</c> serve.</summary>
    public BlocklistSnapshot Current => Volatile.Read(ref _current);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        LoadPrevious();
        Refresh();
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Refresh();
    }

    /// <summary>Rebuilds the list for now, publishes it and writes the files if it changed. Any thread.</summary>
    public void Refresh()
    {
        lock (_refreshLock)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
            _carried.RemoveAll(e => e.ExpiresMicros is { } at && at <= now);
            var snapshot = new BlocklistSnapshot(BlocklistBuilder.Build(_aggregator.SnapshotMiningActivity(), _carried, now, _ttlMicros));
            Volatile.Write(ref _current, snapshot);
            Interlocked.Exchange(ref _status.BlocklistEntries, snapshot.Entries.Count);
            if (_paths is { } paths)
            {
                Write(paths, snapshot);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Refresh();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void LoadPrevious()
    {
        if (_paths is not { } paths || !File.Exists(paths.Json))
        {
            return;
        }
        var problems = new List<string>();
        List<BlocklistEntry> entries;
        try
        {
            entries = BlocklistBuilder.ParseJson(File.ReadAllBytes(paths.Json), problems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.LoadFailed(_logger, paths.Json, e.Message);
            return;
        }
        foreach (var problem in problems.Take(10))
        {
            Log.BadEntry(_logger, paths.Json, problem);
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        // A host still mining when the last run stopped has no expiry written: its time starts again now.
        _carried = [.. entries.Select(e => e.ExpiresMicros is null ? e with { ExpiresMicros = now + _ttlMicros } : e)
            .Where(e => e.ExpiresMicros > now)];
        Log.Loaded(_logger, _carried.Count, paths.Json);
    }

    private void Write((string Text, string Json) paths, BlocklistSnapshot snapshot)
    {
        if (_writtenText is not null && _writtenJson is not null
            && snapshot.Text.AsSpan().SequenceEqual(_writtenText) && snapshot.Json.AsSpan().SequenceEqual(_writtenJson))
        {
            return;
        }
        try
        {
            WriteAtomically(paths.Json, snapshot.Json);
            WriteAtomically(paths.Text, snapshot.Text);
            _writtenText = snapshot.Text;
            _writtenJson = snapshot.Json;
            if (_writeFailing)
            {
                _writeFailing = false;
                Log.WriteRecovered(_logger, paths.Text);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Retried at the next tick (nothing counts as written); logged once per outage.
            if (!_writeFailing)
            {
                _writeFailing = true;
                Log.WriteFailed(_logger, paths.Text, e.Message);
            }
        }
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                // On disk before the rename, or a crash could leave the new name on empty data.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1130, Level = LogLevel.Information, Message = "Block list: {Entries} entry(ies) still in force carried over from {Path}")]
        public static partial void Loaded(ILogger logger, int entries, string path);

        [LoggerMessage(EventId = 1131, Level = LogLevel.Warning, Message = "Block list: cannot read {Path}: {Reason}; starting empty")]
        public static partial void LoadFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 1132, Level = LogLevel.Warning, Message = "Block list: {Path}: {Problem}; skipped")]
        public static partial void BadEntry(ILogger logger, string path, string problem);

        [LoggerMessage(EventId = 1133, Level = LogLevel.Error, Message = "Block list: cannot write {Path}: {Reason}; retried every second, HTTP still serves the list")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 1134, Level = LogLevel.Information, Message = "Block list: writing {Path} again")]
        public static partial void WriteRecovered(ILogger logger, string path);
    }
}
