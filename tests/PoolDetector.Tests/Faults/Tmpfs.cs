using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// A real tmpfs of a few MiB mounted by the test (root) on a folder of its own: a disk that
/// fills for real (ENOSPC from the kernel, short writes included). Unmounted on Dispose.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static Tmpfs Mount(string path, int sizeKiB)
    {
        Directory.CreateDirectory(path);
        using var mount = ChildProcess.Run("mount", ["-t", "tmpfs", "-o", $"size={sizeKiB}k,mode=0755", "tmpfs", path], TimeSpan.FromSeconds(10));
        if (mount.ExitCode != 0)
        {
            throw new InvalidOperationException("mount failed:\n" + mount.Describe());
        }
        return new Tmpfs(path);
    }

    /// <summary>Writes a file of zeros until the file system refuses more; returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        try
        {
            while (true)
            {
                stream.Write(block);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. Then byte by byte, so not even a partial block's room is left.
        }
        try
        {
            while (true)
            {
                stream.WriteByte(0);
                stream.Flush();
            }
        }
        catch (IOException)
        {
        }
        return filler;
    }

    public void Dispose()
    {
        // Lazy: a process that still has a file open there (a daemon being killed) must not keep the mount.
        using var umount = ChildProcess.Run("umount", ["-l", Path], TimeSpan.FromSeconds(10));
    }
}
