using System.Buffers.Binary;
using PoolDetector.Bench.Generation;
using PoolDetector.Capture;
using PoolDetector.Cli;
using PoolDetector.Core.Decoding;
using PoolDetector.Fuzz.Targets;
using PoolDetector.Testing;
using PoolDetector.Tests.Cli;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Capture;

/// <summary>
/// The managed pcap reader against libpcap, the reference: on every capture of the project
/// and of ../shared/pcaps, and on crafted files (every truncation point, both byte orders and both
/// timestamp precisions, record lengths at and beyond the limits, old versions), each read both
/// ways must give the same link type, frames, timestamps, packet and byte counts and error text.
/// </summary>
public sealed class ManagedPcapReaderTests(ITestOutputHelper output)
{
    private static readonly byte[][] Frames =
    [
        Captures.TcpFrame,
        [.. Captures.TcpFrame, .. "more payload"u8],
        [],
        [0xff],
        [.. Enumerable.Range(0, 1500).Select(i => (byte)i)],
    ];

    public static TheoryData<string> ProjectCaptures() =>
        [.. Directory.GetFiles(RepositoryPaths.Pcaps, "*.pcap").Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(ProjectCaptures))]
    public void Reads_each_project_capture_as_libpcap_does(string name)
    {
        var path = Path.Combine(RepositoryPaths.Pcaps, name);

        var managed = AssertSameAsLibpcap(path);

        Assert.True(managed.Managed, "a classic pcap of a link type the engine decodes is read by the managed reader");
        Assert.True(managed.Result.Complete);
        Assert.NotEmpty(managed.Frames);
    }

    [Fact]
    public void Reads_every_shared_classic_capture_as_libpcap_does()
    {
        if (RepositoryPaths.SharedPcaps is not { } shared)
        {
            output.WriteLine("../shared/pcaps is absent: nothing to compare");
            return;
        }
        var files = Directory.EnumerateFiles(shared, "*", SearchOption.AllDirectories)
            .Where(IsClassicPcap)
            .Order(StringComparer.Ordinal)
            .ToList();
        var managed = 0;
        long frames = 0;
        foreach (var file in files)
        {
            var reading = AssertSameAsLibpcap(file);
            managed += reading.Managed ? 1 : 0;
            frames += reading.Frames.Count;
        }

        output.WriteLine($"{files.Count} classic captures ({managed} by the managed reader, the rest of link types left to libpcap), {frames} frames, identical");
        Assert.NotEmpty(files);
        Assert.True(managed > files.Count / 2, $"only {managed} of {files.Count} captures were read by the managed reader");
    }

    /// <param name="snapLength">65535: every record fits; 64: three records are longer and cut to it (libpcap reads and skips the rest).</param>
    [Theory]
    [InlineData(65535u)]
    [InlineData(64u)]
    public void Every_truncation_point_of_a_small_capture_reads_as_libpcap_does(uint snapLength)
    {
        using var directory = new TempDirectory();
        var whole = Build(new PcapShape(SnapLength: snapLength), Frames);
        var path = Path.Combine(directory.Path, "cut.pcap");
        var errors = new HashSet<string>(StringComparer.Ordinal);
        for (var length = 0; length <= whole.Length; length++)
        {
            File.WriteAllBytes(path, whole[..length]);
            var reading = AssertSameAsLibpcap(path, $"cut at {length} of {whole.Length} bytes");
            if (reading.Result.Error is { } error)
            {
                errors.Add(error[..error.IndexOf(';', StringComparison.Ordinal)]);
                Assert.True(reading.Managed);
            }
        }

        // Cut inside a record header and inside a frame: both of libpcap's truncation reports were compared.
        Assert.Equal(["truncated dump file"], errors);
    }

    public static TheoryData<bool, bool> ByteOrdersAndPrecisions() => new()
    {
        { false, false },
        { false, true },
        { true, false },
        { true, true },
    };

    [Theory]
    [MemberData(nameof(ByteOrdersAndPrecisions))]
    public void Reads_both_byte_orders_and_both_precisions_as_libpcap_does(bool bigEndian, bool nanoseconds)
    {
        using var directory = new TempDirectory();
        // Fractions at the edges: nanoseconds that are not whole microseconds, a fraction of a
        // second beyond one second, and a seconds field past 2038 (libpcap reads it as signed).
        var records = new[]
        {
            new Record(1_631_606_401, 123_456_789, Frames[0]),
            new Record(1_631_606_402, 999, Frames[1]),
            new Record(1_631_606_403, 1_999_999_999, Frames[2]),
            new Record(0x8000_0000, 0xFFFF_FFFF, Frames[3]),
            new Record(0, 0, Frames[4]),
        };
        var path = directory.File("orders.pcap", Build(new PcapShape(BigEndian: bigEndian, Nanoseconds: nanoseconds), records));

        var managed = AssertSameAsLibpcap(path);

        Assert.True(managed.Managed);
        Assert.Equal(records.Length, managed.Frames.Count);
        Assert.Equal(Frames[4], managed.Frames[4].Bytes);
        var first = 1_631_606_401L * 1_000_000 + (nanoseconds ? 123_456 : 123_456_789);
        Assert.Equal(first, managed.Frames[0].Micros);
    }

    public static TheoryData<string, uint, uint, bool> RecordLengths() => new()
    {
        // name, snap length in the file header, caplen of the second record, whether it reads to the end
        { "zero-length record", 65535, 0, true },
        { "caplen at libpcap's maximum, above the snap length: cut to the snap length", 65535, ManagedPcapReader.MaximumSnapLength, false },
        { "caplen one above libpcap's maximum", ManagedPcapReader.MaximumSnapLength, ManagedPcapReader.MaximumSnapLength + 1, false },
        { "caplen above the maximum and the snap length", 1500, ManagedPcapReader.MaximumSnapLength + 1, false },
        { "caplen 2^32-1", 65535, uint.MaxValue, false },
        { "caplen above a small snap length, whole record present", 64, 100, true },
        { "snap length 0 means the maximum", 0, 70_000, true },
        { "snap length above INT_MAX means the maximum", 0x8000_0000, 70_000, true },
    };

    [Theory]
    [MemberData(nameof(RecordLengths))]
    public void Record_lengths_at_and_beyond_the_limits_read_as_libpcap_does(string name, uint snapLength, uint caplen, bool complete)
    {
        using var directory = new TempDirectory();
        // The record claims caplen bytes; the file holds at most 100,000 of them, then one more record.
        var data = new byte[(int)Math.Min(caplen, 100_000u)];
        new Random(7).NextBytes(data);
        var records = new[] { new Record(1, 1, Frames[0]), new Record(2, 2, data, caplen, caplen), new Record(3, 3, Frames[1]) };
        var path = directory.File("lengths.pcap", Build(new PcapShape(SnapLength: snapLength), records));

        var managed = AssertSameAsLibpcap(path, name);

        Assert.True(managed.Managed);
        Assert.Equal(complete, managed.Result.Complete);
        output.WriteLine($"{name}: {managed.Result}");
    }

    public static TheoryData<string, ushort, ushort, uint, bool> Headers() => new()
    {
        // name, version, link type field, whether the managed reader takes it (else libpcap reads it)
        { "version 2.2: caplen and len were the other way round", 2, 2, 1, true },
        { "version 2.3: swapped only where caplen exceeds len", 2, 3, 1, true },
        { "version 2.0", 2, 0, 1, true },
        { "version 2.5: libpcap refuses it", 2, 5, 1, false },
        { "version 1.0: archaic", 1, 0, 1, false },
        { "DG/UX 543.0", 543, 0, 1, false },
        { "Linux cooked v1", 2, 4, 113, true },
        { "Linux cooked v2", 2, 4, 276, true },
        { "raw IP", 2, 4, 101, true },
        { "raw IP as DLT 12", 2, 4, 12, false },
        { "Ethernet with an FCS length in the upper bits", 2, 4, 0x1400_0001, false },
        { "IEEE 802.11, which the engine does not decode", 2, 4, 105, false },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void File_headers_open_as_libpcap_opens_them(string name, ushort major, ushort minor, uint linkType, bool managed)
    {
        using var directory = new TempDirectory();
        // The second record's caplen exceeds its len: where lengths are swapped, the frame is len long.
        var records = new[] { new Record(1, 1, Frames[0]), new Record(2, 2, Frames[1], (uint)Frames[1].Length, 20), new Record(3, 3, Frames[4]) };
        var path = directory.File("header.pcap", Build(new PcapShape(Major: major, Minor: minor, LinkType: linkType), records));

        var reading = AssertSameAsLibpcap(path, name);

        Assert.Equal(managed, reading.Managed);
    }

    [Fact]
    public void A_big_endian_linux_cooked_capture_is_left_to_libpcap()
    {
        // libpcap rewrites the SocketCAN ID in such files (swap_pseudo_headers); the managed reader does not.
        using var directory = new TempDirectory();
        var path = directory.File("sll-be.pcap", Build(new PcapShape(BigEndian: true, LinkType: 113), [new Record(1, 1, new byte[32])]));

        var reading = AssertSameAsLibpcap(path);

        Assert.False(reading.Managed);
        Assert.Single(reading.Frames);
    }

    [Fact]
    public void Reads_only_the_size_seen_at_open_and_survives_a_rewrite_under_it()
    {
        using var directory = new TempDirectory();
        var whole = Build(new PcapShape(), Frames);
        var path = directory.File("growing.pcap", whole[..^10]);
        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        using (reader)
        {
            Assert.False(reader.UsesLibpcap);
            // Another process completes the last record and then overwrites the records with
            // garbage: the reader reads the new bytes, never more than the size it saw at open,
            // and nothing crashes.
            using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                writer.Position = 24;
                writer.Write(Enumerable.Repeat((byte)0xee, whole.Length - 24).ToArray());
            }

            var result = reader.ReadAll(new CountingSink());

            Assert.False(result.Complete);
            Assert.Equal("invalid packet capture length 4008636142, bigger than snaplen of 65535", result.Error);
            Assert.Equal(0, result.Packets);
        }
    }

    /// <summary>
    /// A file of many buffers (about 18 MB, the buffer 2 MiB) reads as libpcap reads it, records
    /// cut by every refill included, and a consumer's exception comes back out of the reader.
    /// </summary>
    [Fact]
    public void A_file_of_many_buffers_reads_as_libpcap_does()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "campus.pcap");
        CampusCapture.WriteFile(new CampusCaptureOptions(20_000, Seed: 11), path);
        Assert.True(new FileInfo(path).Length > 8L * ManagedPcapReader.BufferBytes, $"{new FileInfo(path).Length} bytes: too few refills");

        var managed = AssertSameAsLibpcap(path);

        Assert.True(managed.Managed);
        Assert.Equal(20_000, managed.Frames.Count);
        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        using (reader)
        {
            var failure = Assert.Throws<InvalidOperationException>(() => reader.ReadAll(new FailingSink(after: 15_000)));
            Assert.Equal("consumer failed", failure.Message);
        }
    }

    /// <summary>
    /// Records up to libpcap's largest, whole (snap length 0, the maximum) and cut to a snap
    /// length of 1500 so that the reader skips most of each, across many refills: a record larger
    /// than what is left of the buffer, a skip past its end, a header split by it.
    /// </summary>
    [Theory]
    [InlineData(0u)]
    [InlineData(1500u)]
    public void Records_up_to_libpcaps_largest_across_refills_read_as_libpcap_does(uint snapLength)
    {
        using var directory = new TempDirectory();
        int[] sizes = [262_144, 1, 100_003, 65_535, 0, 199_999, 7, 262_143, 31_337];
        var records = Enumerable.Range(0, 120)
            .Select(i => new Record((uint)(1_700_000_000 + i), (uint)i, [.. Enumerable.Range(0, sizes[i % sizes.Length]).Select(b => (byte)(b + i))]))
            .ToArray();
        var path = directory.File("large-records.pcap", Build(new PcapShape(SnapLength: snapLength), records));
        Assert.True(new FileInfo(path).Length > 5L * ManagedPcapReader.BufferBytes);

        var managed = AssertSameAsLibpcap(path);

        Assert.True(managed.Managed);
        Assert.True(managed.Result.Complete);
        Assert.Equal(records.Length, managed.Frames.Count);
    }

    /// <summary>
    /// tcpdump -C -W reopens its oldest ring file with O_TRUNC and writes it anew while analyze may
    /// be reading it. The reader ends where the file now ends, having handed over the frames it
    /// read before (each the file's bytes), and says the file shrank; a reader of a memory mapping
    /// would have died of SIGBUS. Truncated beyond what the buffer holds, and below where the
    /// reader already is.
    /// </summary>
    [Theory]
    [InlineData(5_000_007L)]
    [InlineData(1_000L)]
    public void A_file_truncated_while_it_is_read_ends_where_it_now_ends_and_says_so(long truncateTo)
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "ring.pcap0");
        CampusCapture.WriteFile(new CampusCaptureOptions(20_000, Seed: 3), path);
        var sizeAtOpen = new FileInfo(path).Length;
        var original = ReaderComparison.Read(path, libpcapOnly: true).Frames;
        Assert.True(CaptureFileReader.TryOpen(path, out var reader, out var problem), problem);
        var sink = new TruncatingSink(path, afterFrames: 100, truncateTo);
        CaptureReadResult result;
        using (reader)
        {
            Assert.False(reader.UsesLibpcap);
            result = reader.ReadAll(sink);
        }

        output.WriteLine($"{result.Packets} packets: {result.Error}");
        Assert.Equal(truncateTo, new FileInfo(path).Length);
        Assert.StartsWith($"{ManagedPcapReader.ShrankWhileRead}: {sizeAtOpen} bytes when opened, none left at byte ", result.Error, StringComparison.Ordinal);
        Assert.InRange(result.Packets, 100, original.Count - 1);
        Assert.Equal(result.Packets, sink.Frames.Count);
        for (var i = 0; i < sink.Frames.Count; i++)
        {
            Assert.True(original[i].Bytes.AsSpan().SequenceEqual(sink.Frames[i]), $"frame {i} differs from the file's");
        }
        if (truncateTo >= 24 + ManagedPcapReader.BufferBytes)
        {
            // Beyond the first buffer, which was read when the file was whole: every whole record
            // before the new end, as libpcap reads the short file.
            Assert.Equal(ReaderComparison.Read(path, libpcapOnly: true).Frames.Count, result.Packets);
        }
    }

    [Fact]
    public void Analyze_reports_a_file_truncated_while_it_is_read_as_changed_with_exit_3()
    {
        var result = new CaptureReadResult(42, 4096, $"{ManagedPcapReader.ShrankWhileRead}: 9000 bytes when opened, none left at byte 4096 (another process truncated it in place, as tcpdump -W does when it reuses a ring file)");

        var message = AnalyzeRunner.DescribeReadFailure("ring.pcap0", result);

        Assert.Equal($"ring.pcap0: changed while read: read 42 packet(s), which were analysed; {result.Error}", message);
    }

    [Fact]
    public void Analyze_reports_a_damaged_file_read_by_the_managed_reader_in_libpcaps_words()
    {
        using var directory = new TempDirectory();
        var records = new[] { new Record(1, 1, Frames[0]), new Record(2, 2, Frames[1], ManagedPcapReader.MaximumSnapLength + 1, 60) };
        var path = directory.File("damaged.pcap", Build(new PcapShape(), records));

        var result = Cli.Cli.Run("analyze", "--rules", RepositoryPaths.Rules, "--quiet", path);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"{path}: damaged capture: read 1 packet(s) before the error, which were analysed; libpcap: invalid packet capture length 262145, bigger than snaplen of 65535", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Reads <paramref name="path"/> with libpcap and as analyze does, asserts they agree, and returns analyze's reading.</summary>
    private static CaptureReading AssertSameAsLibpcap(string path, string? what = null)
    {
        var libpcap = ReaderComparison.Read(path, libpcapOnly: true);
        var managed = ReaderComparison.Read(path, libpcapOnly: false);
        Assert.False(libpcap.Managed);
        var difference = ReaderComparison.Difference(libpcap, managed);
        Assert.True(difference is null, $"{what ?? path}: {difference}");
        return managed;
    }

    private static bool IsClassicPcap(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && CaptureMagic.Classify(magic) == CaptureFormat.Pcap;
    }

    private sealed record PcapShape(bool BigEndian = false, bool Nanoseconds = false, ushort Major = 2, ushort Minor = 4, uint SnapLength = 65535, uint LinkType = 1);

    /// <summary>One record: its header's fields as written (caplen and len default to the data's length), then its data.</summary>
    private sealed record Record(uint Seconds, uint Fraction, byte[] Data, uint? Caplen = null, uint? Length = null);

    private static byte[] Build(PcapShape shape, byte[][] frames) =>
        Build(shape, [.. frames.Select((frame, i) => new Record(1_631_606_401u + (uint)i, 123_456, frame))]);

    /// <summary>A classic pcap file exactly as described, written without libpcap so that it can be wrong.</summary>
    private static byte[] Build(PcapShape shape, IEnumerable<Record> records)
    {
        using var stream = new MemoryStream();
        var header = new byte[24];
        Put32(header, 0, shape.BigEndian, shape.Nanoseconds ? 0xa1b23c4du : 0xa1b2c3d4u);
        Put16(header, 4, shape.BigEndian, shape.Major);
        Put16(header, 6, shape.BigEndian, shape.Minor);
        Put32(header, 16, shape.BigEndian, shape.SnapLength);
        Put32(header, 20, shape.BigEndian, shape.LinkType);
        stream.Write(header);
        foreach (var record in records)
        {
            var bytes = new byte[16];
            Put32(bytes, 0, shape.BigEndian, record.Seconds);
            Put32(bytes, 4, shape.BigEndian, record.Fraction);
            Put32(bytes, 8, shape.BigEndian, record.Caplen ?? (uint)record.Data.Length);
            Put32(bytes, 12, shape.BigEndian, record.Length ?? (uint)record.Data.Length);
            stream.Write(bytes);
            stream.Write(record.Data);
        }
        return stream.ToArray();
    }

    private static void Put32(byte[] buffer, int offset, bool bigEndian, uint value)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(offset), value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset), value);
        }
    }

    private static void Put16(byte[] buffer, int offset, bool bigEndian, ushort value)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset), value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(offset), value);
        }
    }

    private sealed class FailingSink(int after) : IFrameSink
    {
        private int _frames;

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            if (++_frames > after)
            {
                throw new InvalidOperationException("consumer failed");
            }
        }
    }

    /// <summary>Keeps a copy of each frame and, after some, truncates the file being read, as another process would.</summary>
    private sealed class TruncatingSink(string path, int afterFrames, long truncateTo) : IFrameSink
    {
        public List<byte[]> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
            Frames.Add(frame.ToArray());
            if (Frames.Count == afterFrames)
            {
                using var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                writer.SetLength(truncateTo);
            }
        }
    }

    private sealed class CountingSink : IFrameSink
    {
        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
        {
        }
    }
}
