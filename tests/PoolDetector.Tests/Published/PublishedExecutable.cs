using PoolDetector.Testing;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Published;

/// <summary>
/// pooldetector as README's "Install" publishes it: <c>dotnet publish -r linux-x64</c>, one
/// native executable (Native AOT, set in the project). Published once per test run into a
/// temporary directory; the tests beside this run it instead of the IL under the JIT, because
/// what the trimmer removed or the AOT compiler changed shows only there.
/// </summary>
public sealed class PublishedExecutable : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    public PublishedExecutable()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pooldetector-published-").FullName;
        var project = Path.Combine(RepositoryPaths.Root, "src", "PoolDetector", "PoolDetector.csproj");
        using var publish = ChildProcess.Run("dotnet",
            ["publish", project, "-c", "Release", "-r", "linux-x64", "--nologo", "-o", Directory], PublishTimeout);
        Program = Path.Combine(Directory, "pooldetector");
        if (publish.ExitCode != 0 || !File.Exists(Program))
        {
            throw new InvalidOperationException(
                "dotnet publish failed (scripts/install-dependencies.sh --build installs clang and zlib1g-dev, which it links with):\n" + publish.Describe());
        }
    }

    public string Directory { get; }

    /// <summary>The native executable, with the rules published beside it.</summary>
    public string Program { get; }

    internal ChildProcess Run(params string[] args) => ChildProcess.Run(Program, args, TimeSpan.FromSeconds(60));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
