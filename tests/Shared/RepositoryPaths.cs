namespace PoolDetector.Testing;

/// <summary>Where tests find the repository's own files and the shared captures beside it.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding PoolDetector.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Rules => Path.Combine(Root, "rules");

    public static string Pcaps => Path.Combine(Root, "pcaps");

    /// <summary>deploy/: the systemd unit, the example configuration, the Grafana dashboard and Prometheus files.</summary>
    public static string Deploy => Path.Combine(Root, "deploy");

    /// <summary>
    /// <c>../shared/pcaps</c> beside the repository (never copied into it); null where absent,
    /// as in a user's own checkout. Tests that need it return early with a message.
    /// </summary>
    public static string? SharedPcaps
    {
        get
        {
            var path = Path.GetFullPath(Path.Combine(Root, "..", "shared", "pcaps"));
            return Directory.Exists(path) ? path : null;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PoolDetector.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("PoolDetector.sln not found above " + AppContext.BaseDirectory);
    }
}
