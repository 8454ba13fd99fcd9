using PoolDetector.Capture;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Fuzz.Targets;

/// <summary>Everything reading one capture file showed: whether it opened, its link type, every frame, how it ended.</summary>
internal sealed record CaptureReading(string? Problem, bool Mapped, LinkType LinkType, List<TimedFrame> Frames, CaptureReadResult Result);

/// <summary>
/// The memory-mapped reader against libpcap on the same file (the <c>reader</c> fuzz target and
/// tests/PoolDetector.Tests/Capture/MappedPcapReaderTests.cs): the program's reader opened twice,
/// once as <c>analyze</c> opens it and once with libpcap only, read to the end both times.
/// </summary>
internal static class ReaderComparison
{
    public static CaptureReading Read(string path, bool allowMapping)
    {
        if (!CaptureFileReader.TryOpen(path, out var reader, out var problem, allowMapping))
        {
            return new CaptureReading(problem, false, default, [], default);
        }
        using (reader)
        {
            var sink = new CorpusSeeder.CopyingSink();
            var result = reader.ReadAll(sink);
            return new CaptureReading(null, reader.IsMapped, reader.LinkType, sink.Frames, result);
        }
    }

    /// <summary>The first way the two readings differ, in words; null when they agree in everything.</summary>
    public static string? Difference(CaptureReading libpcap, CaptureReading mapped)
    {
        if (libpcap.Problem != mapped.Problem)
        {
            return $"open: libpcap '{libpcap.Problem}', mapped '{mapped.Problem}'";
        }
        if (libpcap.Problem is not null)
        {
            return null;
        }
        if (libpcap.LinkType != mapped.LinkType)
        {
            return $"link type: libpcap {libpcap.LinkType}, mapped {mapped.LinkType}";
        }
        if (libpcap.Result != mapped.Result)
        {
            return $"outcome: libpcap {libpcap.Result}, mapped {mapped.Result}";
        }
        if (libpcap.Frames.Count != mapped.Frames.Count)
        {
            return $"frames handed over: libpcap {libpcap.Frames.Count}, mapped {mapped.Frames.Count}";
        }
        for (var i = 0; i < libpcap.Frames.Count; i++)
        {
            var (expected, actual) = (libpcap.Frames[i], mapped.Frames[i]);
            if (expected.Micros != actual.Micros)
            {
                return $"frame {i}: timestamp libpcap {expected.Micros}, mapped {actual.Micros}";
            }
            if (!expected.Bytes.AsSpan().SequenceEqual(actual.Bytes))
            {
                return $"frame {i}: libpcap {expected.Bytes.Length} bytes {Convert.ToHexString(expected.Bytes)}, mapped {actual.Bytes.Length} bytes {Convert.ToHexString(actual.Bytes)}";
            }
        }
        return null;
    }
}
