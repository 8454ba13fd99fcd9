using PoolDetector.Capture;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Fuzz.Targets;

/// <summary>Everything reading one capture file showed: whether it opened, its link type, every frame, how it ended.</summary>
internal sealed record CaptureReading(string? Problem, bool Managed, LinkType LinkType, List<TimedFrame> Frames, CaptureReadResult Result);

/// <summary>
/// The managed pcap reader against libpcap on the same file (the <c>reader</c> fuzz target and
/// tests/PoolDetector.Tests/Capture/ManagedPcapReaderTests.cs): the program's reader opened twice,
/// once as <c>analyze</c> opens it and once with libpcap only, read to the end both times.
/// </summary>
internal static class ReaderComparison
{
    public static CaptureReading Read(string path, bool libpcapOnly)
    {
        if (!CaptureFileReader.TryOpen(path, out var reader, out var problem, libpcapOnly))
        {
            return new CaptureReading(problem, false, default, [], default);
        }
        using (reader)
        {
            var sink = new CorpusSeeder.CopyingSink();
            var result = reader.ReadAll(sink);
            return new CaptureReading(null, !reader.UsesLibpcap, reader.LinkType, sink.Frames, result);
        }
    }

    /// <summary>The first way the two readings differ, in words; null when they agree in everything.</summary>
    public static string? Difference(CaptureReading libpcap, CaptureReading managed)
    {
        if (libpcap.Problem != managed.Problem)
        {
            return $"open: libpcap '{libpcap.Problem}', managed '{managed.Problem}'";
        }
        if (libpcap.Problem is not null)
        {
            return null;
        }
        if (libpcap.LinkType != managed.LinkType)
        {
            return $"link type: libpcap {libpcap.LinkType}, managed {managed.LinkType}";
        }
        if (libpcap.Result != managed.Result)
        {
            return $"outcome: libpcap {libpcap.Result}, managed {managed.Result}";
        }
        if (libpcap.Frames.Count != managed.Frames.Count)
        {
            return $"frames handed over: libpcap {libpcap.Frames.Count}, managed {managed.Frames.Count}";
        }
        for (var i = 0; i < libpcap.Frames.Count; i++)
        {
            var (expected, actual) = (libpcap.Frames[i], managed.Frames[i]);
            if (expected.Micros != actual.Micros)
            {
                return $"frame {i}: timestamp libpcap {expected.Micros}, managed {actual.Micros}";
            }
            if (!expected.Bytes.AsSpan().SequenceEqual(actual.Bytes))
            {
                return $"frame {i}: libpcap {expected.Bytes.Length} bytes {Convert.ToHexString(expected.Bytes)}, managed {actual.Bytes.Length} bytes {Convert.ToHexString(actual.Bytes)}";
            }
        }
        return null;
    }
}
