using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Reporting;

/// <summary>The report tests' data and golden files, and how a golden file is compared or rewritten.</summary>
internal static class ReportTestFiles
{
    /// <summary>Set to 1 to rewrite the Expected/ files on purpose after a deliberate change; review the diff.</summary>
    public const string UpdateGoldenVariable = "POOLDETECTOR_UPDATE_GOLDEN";

    public static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "PoolDetector.Tests", "Reporting");

    /// <summary>Hand-written events: five departments, seven hosts, five days, an alert and its flow_end, hostile text.</summary>
    public static string CampusEvents => Path.Combine(Folder, "Data", "campus-events.jsonl");

    public static string CampusInventory => Path.Combine(Folder, "Data", "campus-inventory.csv");

    public static string PcapsInventory => Path.Combine(Folder, "Data", "pcaps-inventory.csv");

    /// <summary>
    /// Compares <paramref name="actual"/> with Expected/<paramref name="name"/>, after making the
    /// repository's and <paramref name="scratch"/>'s absolute paths relative, so the golden files
    /// hold no machine's paths.
    /// </summary>
    public static void AssertGolden(string name, string actual, string? scratch, ITestOutputHelper output)
    {
        if (scratch is not null)
        {
            actual = actual.Replace(scratch + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        }
        actual = actual.Replace(RepositoryPaths.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        var golden = Path.Combine(Folder, "Expected", name);
        if (Environment.GetEnvironmentVariable(UpdateGoldenVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllText(golden, actual);
            output.WriteLine($"rewrote {golden}");
        }
        Assert.True(File.Exists(golden), $"no golden file {golden}: run the tests once with {UpdateGoldenVariable}=1 and review the diff");
        Assert.Equal(File.ReadAllText(golden), actual);
    }
}
