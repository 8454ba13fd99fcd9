using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Tests.Cli;

public class CaptureFileReaderTests
{
    private sealed class Recorder : IFrameSink
    {
        public List<(LinkType Link, byte[] Frame, long Micros)> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
            Frames.Add((linkType, frame.ToArray(), timestampMicros));
    }

    [Fact]
    public void Reads_frames_and_microsecond_timestamps()
    {
        using var dir = new TempDirectory();
        var path = dir.File("two.pcap", Captures.Pcap(1, Captures.TcpFrame, Captures.TcpFrame));

        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        var recorder = new Recorder();
        using (reader)
        {
            var result = reader.ReadAll(recorder);

            Assert.True(result.Complete);
            Assert.Equal(2, result.Packets);
        }
        Assert.Equal([1631606401123456L, 1631606402123456L], recorder.Frames.Select(f => f.Micros));
        Assert.All(recorder.Frames, f => Assert.Equal(LinkType.Ethernet, f.Link));
        Assert.Equal(Captures.TcpFrame, recorder.Frames[0].Frame);
    }

    [Fact]
    public void Agrees_with_sharppcap_GetNextPacket_on_a_real_capture()
    {
        // The reader parses libpcap's pcap_pkthdr itself; SharpPcap's own path is the reference.
        if (Captures.SharedStratum is not { } path)
        {
            return;
        }
        var expected = new List<(byte[] Frame, long Micros)>();
        using (var device = new CaptureFileReaderDevice(path))
        {
            device.Open();
            while (device.GetNextPacket(out var packet) == GetPacketStatus.PacketRead)
            {
                var t = packet.Header.Timeval;
                expected.Add((packet.Data.ToArray(), ((long)t.Seconds * 1_000_000) + (long)t.MicroSeconds));
            }
        }

        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        var recorder = new Recorder();
        using (reader)
        {
            Assert.True(reader.ReadAll(recorder).Complete);
        }

        Assert.Equal(319, expected.Count);
        Assert.Equal(expected.Count, recorder.Frames.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Micros, recorder.Frames[i].Micros);
            Assert.Equal(expected[i].Frame, recorder.Frames[i].Frame);
        }
    }

    [Fact]
    public void Reports_truncation_mid_packet_with_the_packets_read_before_it()
    {
        using var dir = new TempDirectory();
        var whole = Captures.Pcap(1, Captures.TcpFrame, Captures.TcpFrame, Captures.TcpFrame);
        var path = dir.File("cut.pcap", Captures.CutAfter(whole, keepPackets: 2, extraBytes: 16 + 10));

        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        var recorder = new Recorder();
        using (reader)
        {
            var result = reader.ReadAll(recorder);

            Assert.False(result.Complete);
            Assert.Equal(2, result.Packets);
            Assert.Contains("truncated", result.Error, StringComparison.Ordinal);
        }
        Assert.Equal(2, recorder.Frames.Count);
    }

    [Fact]
    public void Reports_truncation_inside_a_record_header()
    {
        using var dir = new TempDirectory();
        var whole = Captures.Pcap(1, Captures.TcpFrame, Captures.TcpFrame);
        var path = dir.File("cut.pcap", Captures.CutAfter(whole, keepPackets: 1, extraBytes: 7));

        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out _));
        using (reader)
        {
            var result = reader.ReadAll(new Recorder());

            Assert.Equal(1, result.Packets);
            Assert.Contains("truncated", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Reads_pcapng()
    {
        if (SharedBenign("custom_rules_ipv6.pcapng") is not { } path)
        {
            return;
        }
        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        using (reader)
        {
            var result = reader.ReadAll(new Recorder());

            Assert.True(result.Complete, result.Error);
            Assert.True(result.Packets > 0);
        }
    }

    public static TheoryData<string, byte[], string> Unreadable => new()
    {
        { "empty.pcap", [], "empty file (0 bytes)" },
        { "short.pcap", [0xd4, 0xc3], "too short" },
        { "random.pcap", [0x13, 0x37, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8], "not a capture file: unknown magic number 1337beef" },
        { "trace.pcap.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0], "compressed file; decompress it first" },
        { "header.pcap", Captures.Pcap(1)[..10], "truncated capture, the file header is incomplete" },
        { "ieee802_11.pcap", Captures.Pcap(105), "unsupported link type 105" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void Explains_why_a_file_cannot_be_read(string name, byte[] content, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File(name, content);

        Assert.False(CaptureFileReader.TryOpen(path, out var reader, out var problem));
        Assert.Null(reader);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Explains_missing_files_and_directories()
    {
        using var dir = new TempDirectory();

        Assert.False(CaptureFileReader.TryOpen(Path.Combine(dir.Path, "nope.pcap"), out _, out var missing));
        Assert.False(CaptureFileReader.TryOpen(dir.Path, out _, out var directory));

        Assert.Equal("file not found", missing);
        Assert.Equal("is a directory, not a capture file", directory);
    }

    private static string? SharedBenign(string name) =>
        PoolDetector.Testing.RepositoryPaths.SharedPcaps is { } shared && File.Exists(Path.Combine(shared, "benign", name))
            ? Path.Combine(shared, "benign", name)
            : null;
}
