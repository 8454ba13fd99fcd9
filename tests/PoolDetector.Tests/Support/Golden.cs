using Xunit.Abstractions;

namespace PoolDetector.Tests.Support;

/// <summary>Golden files: output compared with a file checked into the repository, or rewritten on purpose.</summary>
internal static class Golden
{
    /// <summary>
    /// Set to 1 to rewrite the golden files (pcaps/expected/*.jsonl, tests/PoolDetector.Tests/Reporting/Expected/)
    /// on purpose after a deliberate change; review the diff.
    /// </summary>
    public const string UpdateVariable = "POOLDETECTOR_UPDATE_GOLDEN";

    /// <summary>
    /// Asserts that <paramref name="actual"/> is the text of <paramref name="goldenPath"/>; with
    /// <see cref="UpdateVariable"/>=1, writes it there first (and says so in <paramref name="output"/>).
    /// </summary>
    public static void AssertMatches(string goldenPath, string actual, ITestOutputHelper output)
    {
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(goldenPath)!);
            File.WriteAllText(goldenPath, actual);
            output.WriteLine($"rewrote {goldenPath}");
        }
        Assert.True(File.Exists(goldenPath), $"no golden file {goldenPath}: run the tests once with {UpdateVariable}=1 and review the diff");
        Assert.Equal(File.ReadAllText(goldenPath), actual);
    }
}
