namespace PoolDetector.Evidence;

/// <summary>What one retention sweep did and what it left.</summary>
internal readonly record struct RetentionResult(int DeletedForAge, int DeletedForBudget, int Failed, int RemainingFiles, long RemainingBytes);

/// <summary>
/// Keeps the evidence directory within its age limit and disk budget: evidence files
/// (<c>*.pcap</c> anywhere below it) older than the age limit are deleted, then, while the rest
/// take more than the budget, the oldest first. Age is the file's last write (when its capture
/// was finished), from <see cref="TimeProvider"/>; ties go by path, so the order is total.
/// Date folders left empty are removed; the directory itself and files of other kinds are left
/// alone (only <c>.pcap</c> counts towards the budget). A file that cannot be deleted is
/// counted and the sweep goes on. One thread at a time (the evidence writer's).
/// </summary>
internal sealed class EvidenceRetention
{
    private static readonly EnumerationOptions Recursive = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        // Never follow a link out of the directory.
        AttributesToSkip = FileAttributes.ReparsePoint,
        MatchType = MatchType.Simple,
    };

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;

    public EvidenceRetention(string directory, long maxBytes, TimeSpan maxAge, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _directory = Path.GetFullPath(directory);
        _maxBytes = maxBytes;
        _maxAge = maxAge;
        _time = time;
    }

    public string Directory => _directory;

    public RetentionResult Sweep()
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return default;
        }
        var files = new List<FileInfo>();
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + EvidenceFileNames.Extension, Recursive))
        {
            var file = new FileInfo(path);
            // Gone since it was listed (an operator cleaning up): nothing to count.
            if (file.Exists)
            {
                files.Add(file);
            }
        }
        files.Sort(static (a, b) =>
        {
            var byTime = a.LastWriteTimeUtc.CompareTo(b.LastWriteTimeUtc);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.FullName, b.FullName);
        });

        var total = 0L;
        foreach (var file in files)
        {
            total += file.Length;
        }
        var cutoff = _time.GetUtcNow().UtcDateTime - _maxAge;
        int forAge = 0, forBudget = 0, failed = 0, remaining = files.Count;
        var emptied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var tooOld = file.LastWriteTimeUtc < cutoff;
            if (!tooOld && total <= _maxBytes)
            {
                // Oldest first: once a file is young enough and the rest fit, so does everything after it.
                break;
            }
            // Read before the delete: a deleted FileInfo no longer knows its length.
            var length = file.Length;
            if (!TryDelete(file))
            {
                failed++;
                continue;
            }
            total -= length;
            remaining--;
            emptied.Add(file.DirectoryName!);
            if (tooOld)
            {
                forAge++;
            }
            else
            {
                forBudget++;
            }
        }
        foreach (var folder in emptied)
        {
            RemoveIfEmpty(folder);
        }
        return new RetentionResult(forAge, forBudget, failed, remaining, total);
    }

    /// <summary>
    /// At start: removes captures a previous run left unfinished (<c>.pcap.part</c>, a crash or
    /// a kill mid-write); nothing else writes there then. Returns how many.
    /// </summary>
    public int RemovePartials()
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return 0;
        }
        var removed = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + EvidenceFileNames.Extension + EvidenceFileNames.PartialSuffix, Recursive))
        {
            if (TryDelete(new FileInfo(path)))
            {
                removed++;
            }
        }
        return removed;
    }

    private static bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A date folder with nothing left in it goes too; never the evidence directory itself.</summary>
    private void RemoveIfEmpty(string folder)
    {
        if (string.Equals(Path.TrimEndingDirectorySeparator(folder), Path.TrimEndingDirectorySeparator(_directory), StringComparison.Ordinal))
        {
            return;
        }
        try
        {
            if (!System.IO.Directory.EnumerateFileSystemEntries(folder).Any())
            {
                System.IO.Directory.Delete(folder);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file arrived meanwhile, or the folder is not ours to remove: it stays.
        }
    }
}
