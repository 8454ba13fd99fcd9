using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;

namespace PoolDetector.Evidence;

/// <summary>
/// <c>analyze --evidence DIR</c>: one pcap per detected flow, written by reading the capture
/// file again after the engine has reported on it, keeping each frame that belongs to a
/// detected flow: same VLAN ids and 5-tuple (either direction) and stamped between the flow's
/// first and last packet (so an earlier or later connection reusing the tuple stays out), at
/// most <c>maxPackets</c> frames and <c>maxBytes</c> per flow. Each file is then hashed. Names
/// as the daemon's (<see cref="EvidenceFileNames"/>), unique within the run; a file of the
/// same name from an earlier run is replaced, so the same input gives the same files.
/// </summary>
internal sealed class FileEvidenceWriter : IFrameSink
{
    private readonly string _directory;
    private readonly int _maxPackets;
    private readonly long _maxBytes;
    private readonly PcapFileWriterFactory _files;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<FlowKey, List<Target>> _targets = [];

    /// <param name="directory">The evidence directory as given: events name files below it the same way (relative stays relative).</param>
    public FileEvidenceWriter(string directory, int maxPackets, long maxBytes, PcapFileWriterFactory files)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPackets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _directory = directory;
        _maxPackets = maxPackets;
        _maxBytes = maxBytes;
        _files = files;
    }

    /// <summary>
    /// Writes the evidence of <paramref name="detections"/>, all from <paramref name="captureFile"/>,
    /// and returns them in the same order with <see cref="MiningDetection.EvidencePcap"/> and
    /// <see cref="MiningDetection.EvidenceSha256"/> set; a detection whose file could not be
    /// written comes back unchanged, with the reason in <paramref name="problems"/>. A flow cut
    /// at the per-flow bound is said in <paramref name="warnings"/>.
    /// </summary>
    public List<MiningDetection> Write(string captureFile, IReadOnlyList<MiningDetection> detections, List<string> problems, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(warnings);
        var result = new List<MiningDetection>(detections.Count);
        if (detections.Count == 0)
        {
            return result;
        }
        var targets = new List<Target>(detections.Count);
        foreach (var detection in detections)
        {
            var name = EvidenceFileNames.Choose(detection, _names.Contains);
            var target = new Target(detection, Path.Combine(_directory, name ?? EvidenceFileNames.Stem(detection) + EvidenceFileNames.Extension));
            targets.Add(target);
            if (name is null)
            {
                target.Error = "too many flows with this name";
                continue;
            }
            _names.Add(name);
            var key = EvidenceFlowKey.Of(detection);
            if (!_targets.TryGetValue(key, out var list))
            {
                _targets[key] = list = [];
            }
            list.Add(target);
        }

        try
        {
            if (!CaptureFileReader.TryOpen(captureFile, out var reader, out var problem))
            {
                problems.Add($"{captureFile}: cannot be read again for evidence: {problem}");
            }
            else
            {
                using (reader)
                {
                    // A damaged file stops where it stopped the first time; that was reported then.
                    reader.ReadAll(this);
                }
            }
        }
        finally
        {
            _targets.Clear();
        }

        foreach (var target in targets)
        {
            result.Add(Finish(target, problems));
            if (target.Truncated && target.Error is null)
            {
                warnings.Add($"{target.Path}: the flow has more than {_maxPackets} packets or {_maxBytes} bytes; the file holds its first {target.Packets} packets");
            }
        }
        return result;
    }

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        if (!EvidenceFlowKey.TryOf(linkType, frame, out var key) || !_targets.TryGetValue(key, out var targets))
        {
            return;
        }
        foreach (var target in targets)
        {
            var d = target.Detection;
            if (timestampMicros < d.FirstSeenMicros || timestampMicros > d.LastSeenMicros || target.Error is not null)
            {
                continue;
            }
            if (target.Packets >= _maxPackets || target.Bytes + frame.Length > _maxBytes)
            {
                target.Truncated = true;
                continue;
            }
            try
            {
                if (target.Writer is null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(target.Path)!);
                    target.Writer = _files(target.PartialPath, linkType);
                }
                target.Writer.Write(frame, timestampMicros);
                target.Packets++;
                target.Bytes += frame.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target.Error = e.Message;
            }
        }
    }

    private static MiningDetection Finish(Target target, List<string> problems)
    {
        if (target.Error is null && target.Writer is null)
        {
            target.Error = "no packet of the flow found on reading the file again";
        }
        if (target.Error is null)
        {
            try
            {
                var sha = EvidenceFile.Complete(target.Writer!, target.PartialPath, target.Path);
                target.Writer!.Dispose();
                return target.Detection with { EvidencePcap = target.Path, EvidenceSha256 = sha };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target.Error = e.Message;
            }
        }
        EvidenceFile.Discard(target.Writer, target.PartialPath);
        problems.Add($"{target.Path}: evidence not written: {target.Error}");
        return target.Detection;
    }

    private sealed class Target(MiningDetection detection, string path)
    {
        public MiningDetection Detection { get; } = detection;
        public string Path { get; } = path;
        public string PartialPath => Path + EvidenceFileNames.PartialSuffix;
        public IPcapFileWriter? Writer;
        public long Packets;
        public long Bytes;
        public bool Truncated;
        public string? Error;
    }
}
