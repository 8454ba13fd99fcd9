using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>One captured frame with the link type its file declared.</summary>
internal sealed record CapturedFrame(string File, int Number, int LinkTypeNumber, byte[] Data, long Micros);

/// <summary>Reads the capture corpora: <c>../shared/pcaps</c> (when present) and the repository's <c>pcaps/</c>.</summary>
internal static class CaptureCorpus
{
    /// <summary>Every .pcap/.pcapng/.cap file below the shared corpus and the repository's pcaps folder.</summary>
    public static List<string> Files()
    {
        var files = new List<string>();
        foreach (var root in new[] { RepositoryPaths.SharedPcaps, RepositoryPaths.Pcaps })
        {
            if (root is null || !Directory.Exists(root))
            {
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var extension = Path.GetExtension(file).ToLowerInvariant();
                if (extension is ".pcap" or ".pcapng" or ".cap")
                {
                    files.Add(file);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Reads every frame of a capture; a file libpcap cannot open yields nothing.</summary>
    public static IEnumerable<CapturedFrame> Read(string file)
    {
        using var device = new CaptureFileReaderDevice(file);
        try
        {
            device.Open();
        }
        catch (PcapException)
        {
            yield break;
        }
        var number = 0;
        while (true)
        {
            GetPacketStatus status;
            PacketCapture capture;
            try
            {
                status = device.GetNextPacket(out capture);
            }
            catch (PcapException)
            {
                // libpcap reports a file cut short mid-record as an error: keep what was read.
                yield break;
            }
            if (status != GetPacketStatus.PacketRead)
            {
                yield break;
            }
            number++;
            var raw = capture.GetPacket();
            yield return new CapturedFrame(file, number, (int)raw.LinkLayerType, raw.Data,
                ((long)raw.Timeval.Seconds * 1_000_000) + (long)raw.Timeval.MicroSeconds);
        }
    }

    public static bool TryLinkType(CapturedFrame frame, out LinkType linkType) =>
        LinkTypes.TryFromPcap(frame.LinkTypeNumber, out linkType);
}
