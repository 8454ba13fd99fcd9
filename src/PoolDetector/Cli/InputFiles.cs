using System.IO.Enumeration;

namespace PoolDetector.Cli;

/// <summary>Turns the FILE|DIR arguments into the ordered list of capture files to analyse.</summary>
internal static class InputFiles
{
    private static readonly string[] CaptureExtensions = [".pcap", ".pcapng", ".cap"];
    private static readonly string[] CompressedExtensions = [".gz", ".zst", ".xz", ".bz2", ".lz4", ".zip"];

    /// <summary>
    /// Files are taken as given, whatever their name; directories are searched recursively
    /// for *.pcap, *.pcapng and *.cap, sorted so runs are repeatable. Compressed captures in
    /// a directory are skipped with a warning (libpcap cannot read them).
    /// </summary>
    /// <returns>The files, or null when a path does not exist (already reported).</returns>
    public static IReadOnlyList<string>? Resolve(IReadOnlyList<string> paths, CliConsole console, bool quiet)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var missing = false;
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = FindCaptures(path, console, quiet);
                if (found.Count == 0 && !quiet)
                {
                    console.WriteWarning($"{path}: no capture files (*.pcap, *.pcapng, *.cap) in this directory");
                }
                foreach (var file in found)
                {
                    Add(file);
                }
            }
            else
            {
                console.WriteError($"{path}: no such file or directory");
                missing = true;
            }
        }
        return missing ? null : files;

        void Add(string file)
        {
            if (seen.Add(Path.GetFullPath(file)))
            {
                files.Add(file);
            }
        }
    }

    private static List<string> FindCaptures(string directory, CliConsole console, bool quiet)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            // An unreadable subdirectory must not abort the whole search.
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.None,
        };
        var entries = new FileSystemEnumerable<string>(directory, (ref FileSystemEntry entry) => entry.ToSpecifiedFullPath(), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
            // Symlinked directories are not followed: a link back up the tree would be
            // walked again and again until the path grew too long.
            ShouldRecursePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        var captures = new List<string>();
        foreach (var file in entries)
        {
            if (HasExtension(file, CaptureExtensions))
            {
                captures.Add(file);
            }
            else if (IsCompressedCapture(file) && !quiet)
            {
                console.WriteWarning($"{file}: skipped, compressed (decompress it to analyse it)");
            }
        }
        captures.Sort(StringComparer.Ordinal);
        return captures;
    }

    private static bool IsCompressedCapture(string file)
    {
        var compression = Path.GetExtension(file);
        return HasExtension(file, CompressedExtensions) && HasExtension(file[..^compression.Length], CaptureExtensions);
    }

    private static bool HasExtension(string file, string[] extensions)
    {
        foreach (var extension in extensions)
        {
            if (file.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
