using PoolDetector.Testing;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Reporting;

/// <summary>The report tests' data and golden files, and how a golden file is compared or rewritten.</summary>
internal static class ReportTestFiles
{
    public static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "PoolDetector.Tests", "Reporting");

    /// <summary>Hand-written events: five departments, seven hosts, five days, an alert and its flow_end, hostile text.</summary>
    public static string CampusEvents => Path.Combine(Folder, "Data", "campus-events.jsonl");

    public static string CampusInventory => Path.Combine(Folder, "Data", "campus-inventory.csv");

    public static string PcapsInventory => Path.Combine(Folder, "Data", "pcaps-inventory.csv");

    /// <summary>
    /// Compares <paramref name="actual"/> with Expected/<paramref name="name"/>, after making the
    /// repository's and <paramref name="scratch"/>'s absolute paths relative, so the golden files
    /// hold no machine's paths (see <see cref="Golden.AssertMatches"/> for rewriting it).
    /// </summary>
    public static void AssertGolden(string name, string actual, string? scratch, ITestOutputHelper output)
    {
        if (scratch is not null)
        {
            actual = actual.Replace(scratch + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        }
        actual = actual.Replace(RepositoryPaths.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        Golden.AssertMatches(Path.Combine(Folder, "Expected", name), actual, output);
    }
}
