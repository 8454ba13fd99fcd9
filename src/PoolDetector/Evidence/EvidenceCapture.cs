using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;

namespace PoolDetector.Evidence;

/// <summary>
/// One evidence file in the making, from the verdict until its SHA-256 is known. The engine
/// thread fills chunks of frames and hands them to the writer; the writer thread owns the open
/// file. Each side has its own fields: they meet only through the writer's queue.
/// </summary>
internal sealed class EvidenceCapture
{
    public EvidenceCapture(MiningDetection detection, FlowKey key, string relativePath, string fullPath)
    {
        Detection = detection;
        Key = key;
        RelativePath = relativePath;
        FullPath = fullPath;
    }

    /// <summary>The detection as alerted, <see cref="MiningDetection.EvidencePcap"/> set.</summary>
    public MiningDetection Detection { get; }

    public FlowKey Key { get; }

    /// <summary>Below the evidence directory (the name <see cref="EvidenceFileNames"/> chose).</summary>
    public string RelativePath { get; }

    public string FullPath { get; }

    /// <summary>Where it is written until complete.</summary>
    public string PartialPath => FullPath + EvidenceFileNames.PartialSuffix;

    // Engine thread.

    /// <summary>The chunk being filled: records of a 16-byte header (length, link type, timestamp) and the frame.</summary>
    public byte[]? Chunk;
    public int ChunkLength;
    public int ChunkFrames;
    /// <summary>Frames taken for the file, and their bytes: bounded per file.</summary>
    public long Frames;
    public long Bytes;
    /// <summary>Frames the store still held at the verdict: those after it are counted against <c>EvidenceFollowPackets</c>.</summary>
    public long HeldAtVerdict;
    /// <summary>When following the flow stops (<see cref="TimeProvider.GetTimestamp"/> units).</summary>
    public long FollowUntil;
    /// <summary>Frames the queue could not take: the file misses them (said in the log).</summary>
    public long FramesDropped;
    /// <summary>The per-file bound was reached: later frames of the flow are not in the file.</summary>
    public bool Truncated;

    // Writer thread.

    public IPcapFileWriter? Writer;
    public LinkType LinkType;
    public long FramesWritten;
    /// <summary>Frames of the flow that came with another link type (another interface) than the file's: a pcap holds one.</summary>
    public long OtherLinkType;
    /// <summary>Why the file could not be written; null while all is well.</summary>
    public string? Error;
}
