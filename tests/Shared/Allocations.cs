namespace PoolDetector.Testing;

/// <summary>What test code allocates on the calling thread (GC.GetAllocatedBytesForCurrentThread).</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="batch"/> <paramref name="batches"/> times, measuring each run on its
    /// own, and returns the least any one run allocated.
    /// </summary>
    /// <remarks>
    /// The least, not the total: a real per-packet allocation shows in every batch, whereas the
    /// runtime's own one-off allocation lands in at most one. Tier-1 recompilation is time-based,
    /// so on a loaded machine it can fall inside a measured window and allocate a few KB on this
    /// thread (dotnet/BenchmarkDotNet#1542); a single window asserted to be exactly zero then
    /// fails for no fault of the code under test. Each batch must therefore repeat all the work
    /// that has to allocate nothing, not a one-off part of it.
    /// </remarks>
    public static long LeastOver(int batches, Action batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 2);
        var least = long.MaxValue;
        for (var i = 0; i < batches; i++)
        {
            least = Math.Min(least, During(batch));
        }
        return least;
    }

    /// <summary>
    /// For work that can run only once (a capture played through an engine): splits
    /// <paramref name="count"/> items into <paramref name="slices"/> consecutive slices, measures each
    /// (<paramref name="playUpTo"/> gets the end of the slice, the last one <paramref name="count"/>),
    /// and returns the least. Each slice must still carry every kind of work measured.
    /// </summary>
    public static long LeastOverSlices(int slices, int count, Action<int> playUpTo)
    {
        var slice = 0;
        return LeastOver(slices, () => playUpTo(++slice * count / slices));
    }

    /// <summary>Bytes allocated on this thread while <paramref name="action"/> runs once.</summary>
    public static long During(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
