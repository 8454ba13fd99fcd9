using System.Security.Cryptography;
using PoolDetector.Capture;

namespace PoolDetector.Evidence;

/// <summary>Finishing an evidence file, the same way for the daemon and <c>analyze</c>.</summary>
internal static class EvidenceFile
{
    /// <summary>
    /// Closes <paramref name="writer"/> (which checks every byte reached the disk), renames the
    /// partial file to <paramref name="path"/> and returns the SHA-256 of what is there, lowercase
    /// hex. The hash is read back from the file, not computed on the way in: it is the hash of what
    /// an investigator will open. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static string Complete(IPcapFileWriter writer, string partialPath, string path)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Close();
        File.Move(partialPath, path, overwrite: true);
        try
        {
            return Sha256(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Evidence without its hash is not evidence: it goes, and the failure is reported.
            TryDelete(path);
            throw;
        }
    }

    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Removes the partial file of a failed capture, if <paramref name="writer"/> created one; a
    /// failure to remove it is left to the next start's clean-up (the daemon removes partial files).
    /// </summary>
    public static void Discard(IPcapFileWriter? writer, string partialPath)
    {
        if (writer is null)
        {
            return;
        }
        writer.Dispose();
        TryDelete(partialPath);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The first failure is the one reported.
        }
    }
}
