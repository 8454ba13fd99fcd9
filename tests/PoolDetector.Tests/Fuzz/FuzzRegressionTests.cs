using PoolDetector.Fuzz.Targets;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Fuzz;

/// <summary>
/// The fuzz targets (fuzz/PoolDetector.Fuzz/Targets/, compiled into this project) without the
/// fuzzer: every input a fuzzer ever crashed on is kept in Regressions/TARGET/ and must now
/// pass through its target, and each target takes its seeds from the project's captures.
/// </summary>
public class FuzzRegressionTests(ITestOutputHelper output)
{
    private static readonly FuzzTargets Targets = new(RepositoryPaths.Rules);

    private static string Regressions => Path.Combine(RepositoryPaths.Root, "tests", "PoolDetector.Tests", "Fuzz", "Regressions");

    public static TheoryData<string> TargetNames() => [.. FuzzTargets.Names];

    /// <summary>
    /// Every saved crash of <paramref name="target"/> runs through the same code the fuzzer ran
    /// (a failure names the file and the exception). fuzz/run.sh copies new crashes into
    /// fuzz/findings/; a crash fixed in src/ is kept here so it stays fixed.
    /// </summary>
    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Every_saved_crash_input_now_passes_its_target(string target)
    {
        var folder = Path.Combine(Regressions, target);
        Assert.True(Directory.Exists(folder), $"{folder} is missing: every target keeps a regression folder");
        var failures = new List<string>();
        var files = Directory.GetFiles(folder).Where(f => Path.GetFileName(f) != ".gitkeep").Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            try
            {
                Targets.Run(target, File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(file)}: {e}");
            }
        }
        output.WriteLine($"{target}: {files.Count} saved inputs");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>
    /// The seeds fuzz/run.sh starts from, taken from pcaps/ and rules/: every target gets some,
    /// and none crashes its target (a seed that crashed would stop afl-fuzz before it starts).
    /// </summary>
    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Seeds_from_the_project_captures_pass_their_target(string target)
    {
        var seeds = CorpusSeeder.Seeds(target, CorpusSeeder.CaptureFiles([RepositoryPaths.Pcaps]), RepositoryPaths.Rules, max: 16);
        output.WriteLine($"{target}: {seeds.Count} seeds, {seeds.Sum(s => s.Length)} bytes");
        Assert.NotEmpty(seeds);
        Assert.All(seeds, seed => Assert.InRange(seed.Length, 1, 2 * CorpusSeeder.MaxSeedBytes + 65536));
        foreach (var seed in seeds)
        {
            Targets.Run(target, seed);
        }
    }

    /// <summary>Seeded noise, cut and uncut, through every target: the harness itself accepts any bytes.</summary>
    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Random_bytes_pass_every_target(string target)
    {
        var random = new Random(target.Length);
        for (var i = 0; i < 50; i++)
        {
            var input = new byte[random.Next(0, 600)];
            random.NextBytes(input);
            Targets.Run(target, input);
        }
    }
}
