using System.Runtime.ExceptionServices;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Workers;

/// <summary>
/// <c>analyze --workers N</c>: N engines on N threads, each reading the whole file on its own
/// and analysing its share of the flows (<see cref="ShardWorker"/>). Their reports are merged
/// on the calling thread in the order one engine would have made them, so the output is the
/// same line for line; a report is passed on once every worker has read past the frame that
/// made it, so memory holds only what the slowest worker has not reached.
/// </summary>
/// <remarks>
/// Where one engine and N differ: each worker has its own flow table and memories, each of
/// the configured size, so capacity evictions (and learned pools or verdicts beyond their
/// caps) happen later than in one engine; and a pool name learned by one worker is unknown to
/// a worker that later sees a DNS answer for it pointing to another address.
/// </remarks>
internal sealed class ShardedAnalysis
{
    private static readonly Comparison<ShardWorker.Report> ByPosition = (a, b) =>
    {
        var c = Core.Flows.FlowEndPosition.Compare(a.Position, b.Position);
        return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
    };

    private readonly ShardWorker[] _workers;

    public ShardedAnalysis(int workers, RuleSet rules, EngineOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 2);
        _workers = new ShardWorker[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = new ShardWorker(i, workers, rules, options);
        }
    }

    public IReadOnlyList<Engine> Engines => Array.ConvertAll(_workers, w => w.Engine);

    /// <summary>
    /// Reads the file of <paramref name="first"/> (the first worker reads through it; the others
    /// open the file again) and passes every detection to <paramref name="sink"/> on this thread.
    /// </summary>
    public CaptureReadResult Run(CaptureFileReader first, IDetectionSink sink, Action<CaptureReadResult>? progress)
    {
        var readers = new CaptureFileReader[_workers.Length];
        readers[0] = first;
        try
        {
            for (var i = 1; i < readers.Length; i++)
            {
                if (!CaptureFileReader.TryOpen(first.Path, out var reader, out var problem))
                {
                    throw new IOException($"{first.Path}: opened once, then not again for worker {i + 1}: {problem}");
                }
                readers[i] = reader;
            }
            return RunWorkers(readers, sink, progress);
        }
        finally
        {
            for (var i = 1; i < readers.Length; i++)
            {
                readers[i]?.Dispose();
            }
        }
    }

    private CaptureReadResult RunWorkers(CaptureFileReader[] readers, IDetectionSink sink, Action<CaptureReadResult>? progress)
    {
        var results = new CaptureReadResult[_workers.Length];
        var failures = new ExceptionDispatchInfo?[_workers.Length];
        var threads = new Thread[_workers.Length];
        for (var i = 0; i < threads.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    results[index] = readers[index].ReadAll(_workers[index], index == 0 ? progress : null);
                    _workers[index].Finish();
                }
                catch (Exception e)
                {
                    failures[index] = ExceptionDispatchInfo.Capture(e);
                }
            })
            {
                IsBackground = true,
                Name = $"analysis worker {i + 1}",
            };
            threads[i].Start();
        }

        Merge(threads, sink);
        foreach (var thread in threads)
        {
            thread.Join();
        }
        foreach (var failure in failures)
        {
            failure?.Throw();
        }
        // Every worker read the same file; the first one's account stands for all.
        return results[0];
    }

    private void Merge(Thread[] threads, IDetectionSink sink)
    {
        var pending = new List<ShardWorker.Report>();
        while (true)
        {
            // The frontier first, then the queues: a report of a frame at or before the frontier
            // was queued before the frontier passed it, so it is in the queue now.
            var frontier = long.MaxValue;
            var failed = false;
            foreach (var worker in _workers)
            {
                frontier = Math.Min(frontier, worker.FramesDone);
            }
            for (var i = 0; i < _workers.Length; i++)
            {
                while (_workers[i].TryTakeReport(out var report))
                {
                    pending.Add(report);
                }
                failed |= !threads[i].IsAlive && _workers[i].FramesDone != long.MaxValue;
            }
            if (failed)
            {
                // A worker died (its exception is rethrown by the caller): nothing more will come.
                return;
            }
            if (pending.Count > 0)
            {
                pending.Sort(ByPosition);
                var ready = 0;
                while (ready < pending.Count && pending[ready].Position.Frame <= frontier)
                {
                    sink.OnDetection(pending[ready++].Detection);
                }
                pending.RemoveRange(0, ready);
            }
            if (frontier == long.MaxValue)
            {
                return;
            }
            Thread.Sleep(1);
        }
    }
}
