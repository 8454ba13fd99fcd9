using System.Diagnostics;
using System.Globalization;

namespace PoolDetector.Cli;

/// <summary>
/// A single self-overwriting status line on stderr for long runs. Shown only on a
/// terminal, and only once the input is large (over 50 MB) or the run has taken a second,
/// so short runs and redirected stderr stay clean.
/// </summary>
internal sealed class ProgressLine
{
    private const long LargeInputBytes = 50L * 1024 * 1024;
    private static readonly TimeSpan ShowAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _error;
    private readonly bool _enabled;
    private readonly long _totalBytes;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDrawn = -Interval;
    private int _width;

    public ProgressLine(TextWriter error, bool enabled, long totalBytes)
    {
        _error = error;
        _totalBytes = totalBytes;
        _enabled = enabled;
    }

    /// <summary><paramref name="doneBytes"/>: bytes of all files before this one plus what was read of it.</summary>
    public void Update(int fileNumber, int fileCount, string file, long doneBytes)
    {
        if (!_enabled)
        {
            return;
        }
        var now = _clock.Elapsed;
        if ((now < ShowAfter && _totalBytes <= LargeInputBytes) || now - _lastDrawn < Interval)
        {
            return;
        }
        _lastDrawn = now;
        var percent = _totalBytes > 0 ? Math.Min(100, doneBytes * 100 / _totalBytes) : 0;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{fileNumber}/{fileCount}] {percent,3}%  {doneBytes / 1048576.0:F1} of {_totalBytes / 1048576.0:F1} MB  {Path.GetFileName(file)}");
        _error.Write("\r" + line.PadRight(_width));
        _width = line.Length;
    }

    public void Clear()
    {
        if (_width > 0)
        {
            _error.Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
        }
    }
}
