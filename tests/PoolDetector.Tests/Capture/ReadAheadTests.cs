using PoolDetector.Bench.Generation;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;

namespace PoolDetector.Tests.Capture;

/// <summary>
/// analyze's read-ahead: the same frames in the same order as reading in line, on the calling
/// thread; a failing consumer never leaves the reader waiting. Each runs on libpcap's reader (the
/// read-ahead thread and its ring, as for pcapng) and on the managed one (read in line).
/// </summary>
public sealed class ReadAheadTests
{
    private static readonly string Capture = Path.Combine(RepositoryPaths.Pcaps, "xmrig-login-job-submit.pcap");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hands_over_every_frame_in_file_order_on_the_calling_thread(bool libpcap)
    {
        var expected = CaptureRunner.ReadFrames(Capture);
        var sink = new Recorder();
        CaptureReadResult result;
        Assert.True(CaptureFileReader.TryOpen(Capture, out var reader, out var problem, libpcapOnly: libpcap), problem);
        using (reader)
        {
            Assert.Equal(libpcap, reader.UsesLibpcap);
            result = ReadAhead.ReadAll(reader, sink);
        }

        Assert.True(result.Complete);
        Assert.Equal(expected.Count, result.Packets);
        Assert.Equal(expected.Select(f => (f.Link, Convert.ToHexString(f.Frame), f.Micros)), sink.Frames);
        Assert.Equal([Environment.CurrentManagedThreadId], sink.Threads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_consumer_that_throws_stops_the_reader_and_its_exception_comes_back(bool libpcap)
    {
        // Larger than the ring (about 18 MB), so the reader is left waiting for room when the consumer fails.
        using var directory = new Cli.TempDirectory();
        var large = Path.Combine(directory.Path, "campus.pcap");
        CampusCapture.WriteFile(new CampusCaptureOptions(20_000, Seed: 5), large);
        Assert.True(new FileInfo(large).Length > 12 * 1024 * 1024);
        Assert.True(CaptureFileReader.TryOpen(large, out var reader, out var problem, libpcapOnly: libpcap), problem);
        using (reader)
        {
            Assert.Equal(libpcap, reader.UsesLibpcap);
            var failure = Assert.Throws<InvalidOperationException>(() => ReadAhead.ReadAll(reader, new Failing(after: 10)));
            Assert.Equal("consumer failed", failure.Message);
        }
    }

    private sealed class Recorder : IFrameSink
    {
        public List<(LinkType, string, long)> Frames { get; } = [];

        public HashSet<int> Threads { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            Frames.Add((linkType, Convert.ToHexString(frame), timestampMicros));
        }
    }

    private sealed class Failing(int after) : IFrameSink
    {
        private int _frames;

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            if (++_frames > after)
            {
                // Slow to fail, so the reader has filled the ring by then.
                Thread.Sleep(200);
                throw new InvalidOperationException("consumer failed");
            }
        }
    }
}
