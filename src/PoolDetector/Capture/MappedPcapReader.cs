using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>
/// Reads a classic pcap file (microsecond or nanosecond magic, either byte order) through a
/// read-only memory mapping: each frame handed to the sink is a span into the page cache, so a
/// packet costs no copy and no call into native code, where libpcap costs a <c>pcap_next_ex</c>
/// per packet and two copies (the kernel's into stdio's buffer, fread's into its own). It gives
/// what libpcap 1.10 gives for the same bytes (sf-pcap.c, <c>pcap_next_packet</c>): the same
/// frames, timestamps scaled to microseconds the same way, the same cut of a record longer than
/// the snapshot length, and the same error texts where a file is truncated or damaged.
/// A header it does not take (see <see cref="TryOpen"/>) is left to libpcap.
/// </summary>
/// <remarks>
/// Only the size seen when the file is opened is mapped and read: bytes appended later (a capture
/// still being written) are not read, and a record cut by the end of that size is reported as
/// truncated. Every length is checked against that size and every record header field is read
/// once, so a file rewritten under us gives other bytes but never a read outside the mapping.
/// The one case a mapping cannot survive: another process truncating the file while it is read.
/// Touching a page beyond the new end raises SIGBUS, which the runtime does not turn into an
/// exception, and the process ends. libpcap would report a short read instead; capture files are
/// not truncated in place in practice (rotation renames them), so this is accepted for the speed.
/// </remarks>
internal sealed unsafe partial class MappedPcapReader : IDisposable
{
    private const int FileHeaderBytes = 24;
    private const int RecordHeaderBytes = 16;
    /// <summary>How much is read between two releases of the pages behind (<see cref="Release"/>): about 120 calls per gigabyte, and no more than this of the file left mapped in behind the reader.</summary>
    private const long ReleaseEvery = 8L * 1024 * 1024;

    /// <summary>
    /// libpcap's MAXIMUM_SNAPLEN, what <c>max_snaplen_for_dlt</c> answers for every link type read
    /// here: a record longer than this is an error, not a packet.
    /// </summary>
    internal const uint MaximumSnapLength = 262_144;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    /// <summary>The file's byte order differs from this machine's.</summary>
    private readonly bool _swapped;
    private readonly bool _nanoseconds;
    private readonly LengthOrder _lengthOrder;
    /// <summary>libpcap's <c>p->snapshot</c>: the header's snap length, or the maximum when it is 0 or above INT_MAX.</summary>
    private readonly uint _snapshot;

    /// <summary>Where caplen and len sit in a record header, by file version (libpcap's lengths_swapped).</summary>
    private enum LengthOrder
    {
        /// <summary>Version 2.4: caplen, then len.</summary>
        Normal,
        /// <summary>Before 2.3 the two were the other way round.</summary>
        Swapped,
        /// <summary>2.3 files were written both ways: swapped when caplen would exceed len.</summary>
        MaybeSwapped,
    }

    private MappedPcapReader(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, long length, bool swapped, bool nanoseconds, LengthOrder lengthOrder, uint snapshot, LinkType linkType)
    {
        _file = file;
        _view = view;
        _base = pointer;
        _length = length;
        _swapped = swapped;
        _nanoseconds = nanoseconds;
        _lengthOrder = lengthOrder;
        _snapshot = snapshot;
        LinkType = linkType;
    }

    public LinkType LinkType { get; }

    /// <summary>
    /// Maps <paramref name="path"/> when its header is one this reader takes: a complete file
    /// header, version 2.0-2.4, a link type the engine decodes written as its LINKTYPE_ number
    /// with no extension bits. Null for anything else (a short or odd header, another link type,
    /// a file that cannot be mapped such as a pipe): libpcap opens those and says what is wrong
    /// in its own words. So does a Linux cooked capture written in the other byte order, whose
    /// SocketCAN headers libpcap rewrites (swap_pseudo_headers) and this reader would not.
    /// </summary>
    public static MappedPcapReader? TryOpen(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        MemoryMappedFile file;
        long length;
        try
        {
            // The size checked here is the size mapped and read, whatever happens to the file later.
            length = stream.CanSeek ? stream.Length : 0;
            if (length < FileHeaderBytes)
            {
                stream.Dispose();
                return null;
            }
            file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            return null;
        }

        // From here the mapping owns the stream.
        MemoryMappedViewAccessor? view = null;
        var pointer = (byte*)null;
        try
        {
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            var start = pointer + view.PointerOffset;
            if (FromHeader(file, view, start, length) is { } reader)
            {
                Advise(start, length);
                return reader;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not mappable after all: libpcap reads it.
        }
        if (pointer is not null)
        {
            view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        view?.Dispose();
        file.Dispose();
        return null;
    }

    private static MappedPcapReader? FromHeader(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* header, long length)
    {
        var fileLittleEndian = true;
        var nanoseconds = false;
        switch (BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(header, 4)))
        {
            case 0xa1b2c3d4: break;
            case 0xa1b23c4d: nanoseconds = true; break;
            case 0xd4c3b2a1: fileLittleEndian = false; break;
            case 0x4d3cb2a1: fileLittleEndian = false; nanoseconds = true; break;
            default: return null;
        }
        var swapped = fileLittleEndian != BitConverter.IsLittleEndian;
        var major = Read16(header + 4, swapped);
        var minor = Read16(header + 6, swapped);
        var snapLength = Read32(header + 16, swapped);
        var linkField = Read32(header + 20, swapped);
        // 543.0 (DG/UX) and anything libpcap refuses stay with libpcap, which words the refusal.
        if (major != 2 || minor > 4 || linkField > int.MaxValue || !IsMappedLinkType((int)linkField, out var linkType))
        {
            return null;
        }
        if (swapped && linkType is LinkType.LinuxSll or LinkType.LinuxSll2)
        {
            return null;
        }
        var lengthOrder = minor < 3 ? LengthOrder.Swapped : minor == 3 ? LengthOrder.MaybeSwapped : LengthOrder.Normal;
        // pcap_adjust_snapshot: a snap length of 0, or one that does not fit libpcap's int, means the maximum.
        var snapshot = snapLength == 0 || snapLength > int.MaxValue ? MaximumSnapLength : snapLength;
        return new MappedPcapReader(file, view, header, length, swapped, nanoseconds, lengthOrder, snapshot, linkType);
    }

    /// <summary>
    /// The LINKTYPE_ numbers the engine decodes whose DLT_ number libpcap reports as the same
    /// type (linktype_to_dlt): BSD's raw IP numbers 12 and 14, and LINKTYPE_ values with the
    /// upper bits (FCS length) set, go through libpcap.
    /// </summary>
    private static bool IsMappedLinkType(int value, out LinkType linkType)
    {
        linkType = default;
        return value is not (12 or 14) && LinkTypes.TryFromPcap(value, out linkType);
    }

    /// <summary>
    /// Hands every frame to <paramref name="sink"/> until the end of the mapped size or the first
    /// damaged record, like <see cref="CaptureFileReader.ReadAll"/> over libpcap: the same count,
    /// the same bytes (16 per record header plus the frame) and the same error text.
    /// </summary>
    public CaptureReadResult ReadAll(IFrameSink sink, Action<CaptureReadResult>? progress, int progressEvery)
    {
        ArgumentNullException.ThrowIfNull(sink);
        long packets = 0;
        long bytes = 0;
        long offset = FileHeaderBytes;
        long released = 0;
        var linkType = LinkType;
        while (true)
        {
            var remaining = _length - offset;
            if (remaining == 0)
            {
                return new CaptureReadResult(packets, bytes, null);
            }
            if (remaining < RecordHeaderBytes)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {RecordHeaderBytes} header bytes, only got {remaining}");
            }

            // Each field is read once into a local: whatever the file does meanwhile, the checks
            // below hold for the values used.
            var record = _base + offset;
            // struct pcap_timeval is two signed 32-bit fields, widened to time_t and suseconds_t as
            // they are; libpcap 1.10's byte swap (SWAPLONG) yields them unsigned. Measured against
            // libpcap (MappedPcapReaderTests): a seconds field of 0x80000000 is 1901 in a file of this
            // machine's byte order, 2038 in one of the other.
            var rawSeconds = Read32(record, _swapped);
            var rawFraction = Read32(record + 4, _swapped);
            var seconds = _swapped ? rawSeconds : (long)(int)rawSeconds;
            var fraction = _swapped ? rawFraction : (long)(int)rawFraction;
            var captured = Read32(record + 8, _swapped);
            var original = Read32(record + 12, _swapped);
            if (_lengthOrder == LengthOrder.Swapped || (_lengthOrder == LengthOrder.MaybeSwapped && captured > original))
            {
                captured = original;
            }
            if (_nanoseconds)
            {
                // SCALE_DOWN: the device is opened for microseconds; C's division truncates as C#'s does.
                fraction /= 1000;
            }

            if (captured > MaximumSnapLength)
            {
                return new CaptureReadResult(packets, bytes, captured > _snapshot
                    ? $"invalid packet capture length {captured}, bigger than snaplen of {_snapshot}"
                    : $"invalid packet capture length {captured}, bigger than maximum of {MaximumSnapLength}");
            }
            var available = remaining - RecordHeaderBytes;
            // libpcap hands out at most the snapshot length and skips the rest of a longer record.
            var handed = Math.Min(captured, _snapshot);
            if (available < handed)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {handed} captured bytes, only got {available}");
            }
            if (available < captured)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {captured} captured bytes, only got {available}");
            }

            sink.OnFrame(linkType, new ReadOnlySpan<byte>(record + RecordHeaderBytes, (int)handed), (seconds * 1_000_000) + fraction);
            offset += RecordHeaderBytes + captured;
            if (offset - released >= ReleaseEvery)
            {
                released = Release(released, offset);
            }
            packets++;
            bytes += handed + RecordHeaderBytes;
            if (progress is not null && packets % progressEvery == 0)
            {
                progress(new CaptureReadResult(packets, bytes, null));
            }
        }
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(byte* at, bool swapped)
    {
        var value = Unsafe.ReadUnaligned<uint>(at);
        return swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    private static ushort Read16(byte* at, bool swapped)
    {
        var value = Unsafe.ReadUnaligned<ushort>(at);
        return swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    /// <summary>
    /// Unmaps the pages before <paramref name="offset"/> that no frame still in use lies on
    /// (MADV_DONTNEED on a file mapping drops this process's page table entries only; the page
    /// cache keeps the data). Without it the process's resident size grows with the file, all of it
    /// page cache the kernel can reclaim but an operator reads as memory used: the benchmark's
    /// 911 MB capture showed 947 MiB maximum RSS without it, 107 MiB releasing every 32 MB, against
    /// 87 MiB when libpcap reads it through the read-ahead ring.
    /// Returns the new start of what is still mapped in.
    /// </summary>
    private long Release(long released, long offset)
    {
        // Sinks may hold no span past OnFrame, so everything before the current record is done with.
        var end = offset & ~((long)Environment.SystemPageSize - 1);
        if (OperatingSystem.IsLinux() && end > released)
        {
            const int MadvDontNeed = 4;
            _ = Madvise(_base + released, (nuint)(end - released), MadvDontNeed);
        }
        return end;
    }

    /// <summary>
    /// The file is read once from front to back: the kernel may read ahead further and drop pages
    /// behind (MADV_SEQUENTIAL). Advice only; where it is not available nothing changes.
    /// </summary>
    private static void Advise(byte* pointer, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        const int MadvSequential = 2;
        // The view starts at offset 0 of the file, so the pointer is page-aligned as madvise wants.
        _ = Madvise(pointer, (nuint)length, MadvSequential);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
