using Microsoft.Extensions.Logging;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Hosting;
using PoolDetector.Tests.Cli;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// The daemon's learned pools file, without a daemon: bad lines and unreadable files are
/// warnings, never a failed start; saves wait for the interval, are atomic, and a failed save
/// is logged, counted and tried again.
/// </summary>
public sealed class LearnedPoolsStoreTests : IDisposable
{
    private static readonly IpAddress Pool = IpAddress.Parse("203.0.113.5");
    private const long Monday = 1_715_000_000_000_000;

    private readonly TempDirectory _dir = new();
    private readonly ManualTime _time = new();
    private readonly SaveCounter _metrics = new();
    private readonly ListLogger _logger = new();

    public void Dispose() => _dir.Dispose();

    private string StatePath => Path.Combine(_dir.Path, "state", "learned-pools.tsv");

    private LearnedPoolsStore Store(TimeSpan? interval = null) => new(
        new SensorOptions { LearnedPoolsFile = StatePath, LearnedPoolsSaveInterval = interval ?? TimeSpan.FromMinutes(1) },
        _metrics, _time, _logger);

    private static string Text(params (string Address, ushort Port)[] endpoints)
    {
        var pools = new LearnedPools();
        foreach (var (address, port) in endpoints)
        {
            pools.Learn(IpAddress.Parse(address), port, null, "stratum-v1", Monday);
        }
        return LearnedPoolsStore.Snapshot(pools);
    }

    [Fact]
    public void A_missing_file_starts_empty_and_creates_the_directory()
    {
        var pools = Store().Load();

        Assert.Equal(0, pools.Count);
        Assert.True(Directory.Exists(Path.GetDirectoryName(StatePath)));
        Assert.Contains((LogLevel.Information, $"Learned pools: {StatePath} does not exist yet; starting empty"), _logger.Entries);
    }

    [Fact]
    public void Bad_lines_are_warnings_with_their_line_numbers_and_the_good_lines_load()
    {
        var lines = Text(("203.0.113.5", 3333), ("203.0.113.6", 4444)).TrimEnd('\n').Split('\n').ToList();
        lines.Insert(4, "203.0.113.9:3333\tADDR");
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, string.Join('\n', lines) + "\n");

        var pools = Store().Load();

        Assert.Equal(2, pools.Count);
        Assert.False(pools.Changed);
        Assert.Contains((LogLevel.Warning, $"Learned pools: {StatePath}:5: expected 5 tab-separated fields (indicator, indicator_type, meta.source, meta.desc, confidence), found 2; line skipped"), _logger.Entries);
        Assert.Contains((LogLevel.Information, $"Learned pools: 2 endpoint(s) loaded from {StatePath} (1 bad line(s) skipped)"), _logger.Entries);
    }

    [Fact]
    public void An_unreadable_file_is_a_warning_and_starts_empty()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllText(StatePath, Text(("203.0.113.5", 3333)));
        // Held exclusively (a lock even root cannot read past, unlike file modes).
        using var held = new FileStream(StatePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var pools = Store().Load();

        Assert.Equal(0, pools.Count);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning
            && e.Message.StartsWith($"Learned pools: cannot read {StatePath}: ", StringComparison.Ordinal)
            && e.Message.EndsWith("; starting empty (the next save replaces it)", StringComparison.Ordinal));
    }

    [Fact]
    public void Saves_wait_for_the_interval_replace_the_file_whole_and_retry_after_a_failure()
    {
        var store = Store();
        var pools = store.Load();
        pools.Learn(Pool, 3333, "eu.pool.example", "stratum-v1", Monday);

        store.SaveIfDue(pools);
        Assert.False(File.Exists(StatePath), "saved before the interval was up");

        _time.Advance(TimeSpan.FromSeconds(61));
        store.SaveIfDue(pools);
        Assert.Equal(LearnedPoolsStore.Snapshot(pools), File.ReadAllText(StatePath));
        Assert.False(pools.Changed);
        Assert.Equal((1, 0), (_metrics.Ok, _metrics.Errors));

        // Nothing new: no write, however long it has been.
        _time.Advance(TimeSpan.FromMinutes(5));
        store.SaveIfDue(pools);
        Assert.Equal((1, 0), (_metrics.Ok, _metrics.Errors));

        // The directory disappears: the save fails, is logged and counted, and stays pending.
        Directory.Delete(Path.GetDirectoryName(StatePath)!, recursive: true);
        pools.Learn(Pool, 14444, null, "cryptonote", Monday + 1);
        _time.Advance(TimeSpan.FromSeconds(61));
        store.SaveIfDue(pools);
        Assert.Equal((1, 1), (_metrics.Ok, _metrics.Errors));
        Assert.True(pools.Changed);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Error
            && e.Message.StartsWith($"Learned pools: cannot save {StatePath}: ", StringComparison.Ordinal));

        // Back: the stop saves what was pending, and no temporary file is left.
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        store.SaveAtStop(pools);
        Assert.Equal((2, 1), (_metrics.Ok, _metrics.Errors));
        var reloaded = new LearnedPools();
        var problems = new List<string>();
        Assert.Equal(2, reloaded.Load(new StringReader(File.ReadAllText(StatePath)), problems));
        Assert.Empty(problems);
        Assert.Equal([Path.GetFileName(StatePath)], Directory.GetFiles(Path.GetDirectoryName(StatePath)!).Select(Path.GetFileName));
    }

    [Fact]
    public void An_empty_setting_keeps_learned_pools_in_memory_only()
    {
        var store = new LearnedPoolsStore(new SensorOptions { LearnedPoolsFile = "" }, _metrics, _time, _logger);
        var pools = store.Load();
        pools.Learn(Pool, 3333, null, "stratum-v1", Monday);
        _time.Advance(TimeSpan.FromHours(1));
        store.SaveIfDue(pools);
        store.SaveAtStop(pools);

        Assert.Null(store.FilePath);
        Assert.Equal((0, 0), (_metrics.Ok, _metrics.Errors));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
        Assert.Contains((LogLevel.Information, "Learned pools are kept in memory only (PoolDetector:LearnedPoolsFile is empty)"), _logger.Entries);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _now = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += by.Ticks;
    }

    private sealed class SaveCounter : ISensorMetrics
    {
        public int Ok { get; private set; }

        public int Errors { get; private set; }

        public void LearnedPoolsSaved(bool success)
        {
            if (success)
            {
                Ok++;
            }
            else
            {
                Errors++;
            }
        }

        public void DetectionRaised(MiningDetection detection)
        {
        }

        public void RulesLoaded(bool reload, bool success, int rulesInUse)
        {
        }

        public void InterfaceFailed(string interfaceName)
        {
        }
    }

    private sealed class ListLogger : ILogger<LearnedPoolsStore>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
