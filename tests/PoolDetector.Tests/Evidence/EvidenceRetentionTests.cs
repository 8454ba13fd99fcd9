using PoolDetector.Evidence;

namespace PoolDetector.Tests.Evidence;

/// <summary>The retention sweeper on a scratch directory, with a clock the test sets: age first, then the budget, oldest first.</summary>
public sealed class EvidenceRetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Cli.TempDirectory _directory = new();
    private readonly ManualTime _time = new(Now);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Files_past_the_age_limit_are_deleted_and_younger_ones_kept()
    {
        var old = Evidence("2026-01-01/000000-a.pcap", 100, Now.AddDays(-60));
        var edge = Evidence("2026-01-30/000000-b.pcap", 100, Now.AddDays(-30).AddMinutes(1));
        var fresh = Evidence("2026-03-01/110000-c.pcap", 100, Now.AddHours(-1));
        var result = Retention(maxBytes: 1_000_000, maxAge: TimeSpan.FromDays(30)).Sweep();

        Assert.Equal(new RetentionResult(DeletedForAge: 1, DeletedForBudget: 0, Failed: 0, RemainingFiles: 2, RemainingBytes: 200), result);
        Assert.False(File.Exists(old));
        Assert.True(File.Exists(edge));
        Assert.True(File.Exists(fresh));
        // Its date folder went with it; the directory itself stays.
        Assert.False(Directory.Exists(Path.Combine(_directory.Path, "2026-01-01")));
        Assert.True(Directory.Exists(_directory.Path));
    }

    [Fact]
    public void Over_the_budget_the_oldest_go_first_until_the_rest_fit()
    {
        // Written out of name order: age is the last write, not the name.
        var second = Evidence("2026-02-01/000000-b.pcap", 400, Now.AddDays(-2));
        var first = Evidence("2026-02-03/000000-a.pcap", 400, Now.AddDays(-3));
        var third = Evidence("2026-02-02/000000-c.pcap", 400, Now.AddDays(-1));
        var newest = Evidence("2026-03-01/000000-d.pcap", 400, Now.AddMinutes(-1));
        var result = Retention(maxBytes: 1000, maxAge: TimeSpan.FromDays(90)).Sweep();

        Assert.Equal(new RetentionResult(DeletedForAge: 0, DeletedForBudget: 2, Failed: 0, RemainingFiles: 2, RemainingBytes: 800), result);
        Assert.False(File.Exists(first));
        Assert.False(File.Exists(second));
        Assert.True(File.Exists(third));
        Assert.True(File.Exists(newest));
    }

    [Fact]
    public void Age_and_budget_together_are_counted_apart()
    {
        Evidence("a/old.pcap", 300, Now.AddDays(-100));
        Evidence("b/older-but-young.pcap", 300, Now.AddDays(-5));
        Evidence("b/young.pcap", 300, Now.AddDays(-4));
        var kept = Evidence("c/newest.pcap", 300, Now.AddDays(-3));
        var result = Retention(maxBytes: 500, maxAge: TimeSpan.FromDays(30)).Sweep();

        Assert.Equal(new RetentionResult(DeletedForAge: 1, DeletedForBudget: 2, Failed: 0, RemainingFiles: 1, RemainingBytes: 300), result);
        Assert.Equal([kept], Directory.GetFiles(_directory.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Within_both_limits_nothing_is_touched_and_other_files_never_are()
    {
        var pcap = Evidence("2026-03-01/000000-a.pcap", 500, Now.AddDays(-1));
        var note = Evidence("README.txt", 5000, Now.AddDays(-400));
        var result = Retention(maxBytes: 1000, maxAge: TimeSpan.FromDays(30)).Sweep();
        Assert.Equal(new RetentionResult(0, 0, 0, 1, 500), result);
        Assert.True(File.Exists(pcap));
        Assert.True(File.Exists(note));
    }

    [Fact]
    public void The_clock_decides_age_so_time_passing_expires_files()
    {
        var file = Evidence("2026-03-01/000000-a.pcap", 10, Now);
        var retention = Retention(maxBytes: 1000, maxAge: TimeSpan.FromDays(7));
        Assert.Equal(0, retention.Sweep().DeletedForAge);
        _time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, retention.Sweep().DeletedForAge);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Unfinished_captures_of_a_previous_run_are_removed_at_start()
    {
        var partial = Evidence("2026-03-01/000000-a.pcap.part", 10, Now);
        var complete = Evidence("2026-03-01/000001-b.pcap", 10, Now);
        Assert.Equal(1, Retention(1000, TimeSpan.FromDays(1)).RemovePartials());
        Assert.False(File.Exists(partial));
        Assert.True(File.Exists(complete));
    }

    [Fact]
    public void A_missing_directory_is_an_empty_one()
    {
        var retention = new EvidenceRetention(Path.Combine(_directory.Path, "not-yet"), 1000, TimeSpan.FromDays(1), _time);
        Assert.Equal(default, retention.Sweep());
        Assert.Equal(0, retention.RemovePartials());
    }

    private EvidenceRetention Retention(long maxBytes, TimeSpan maxAge) => new(_directory.Path, maxBytes, maxAge, _time);

    private string Evidence(string relative, int bytes, DateTimeOffset written)
    {
        var path = _directory.File(relative, new byte[bytes]);
        File.SetLastWriteTimeUtc(path, written.UtcDateTime);
        return path;
    }
}
