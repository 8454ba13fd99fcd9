using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Capture;

/// <summary>
/// Reads a classic pcap file (microsecond or nanosecond magic, either byte order) without
/// libpcap: large positional reads (<c>pread</c>, 2 MiB at a time) into one buffer, and each frame
/// handed to the sink as a span into that buffer, where libpcap costs a <c>pcap_next_ex</c> per
/// packet and two copies (the kernel's into stdio's buffer, fread's into its own). It gives what
/// libpcap 1.10 gives for the same bytes (sf-pcap.c, <c>pcap_next_packet</c>): the same frames,
/// timestamps scaled to microseconds the same way, the same cut of a record longer than the
/// snapshot length, and the same error texts where a file is truncated or damaged.
/// A header it does not take (see <see cref="TryOpen"/>) is left to libpcap.
/// </summary>
/// <remarks>
/// Only the size seen when the file is opened is read: bytes appended later (a capture still
/// being written) are not, and a record cut by the end of that size is reported as truncated.
/// A file truncated in place while it is read (tcpdump <c>-C</c> <c>-W</c> reopens its oldest ring
/// file with <c>O_TRUNC</c>) ends where a read first finds nothing left, and the error says the
/// file shrank (see <see cref="ReadAll"/>). This is why the reader copies once into its own buffer rather
/// than reading a memory mapping in place: a mapped page beyond a truncated end raises SIGBUS,
/// which ends the process (measured: the mapping was 0.05-0.1 s faster on the benchmark's
/// 911 MB, the cost of the copy).
/// </remarks>
internal sealed class ManagedPcapReader : IDisposable
{
    private const int FileHeaderBytes = 24;
    private const int RecordHeaderBytes = 16;

    /// <summary>
    /// libpcap's MAXIMUM_SNAPLEN, what <c>max_snaplen_for_dlt</c> answers for every link type read
    /// here: a record longer than this is an error, not a packet.
    /// </summary>
    internal const uint MaximumSnapLength = 262_144;

    /// <summary>How the error of a file truncated while it was read begins.</summary>
    internal const string ShrankWhileRead = "the file shrank while it was read";

    /// <summary>
    /// What one read asks for, and the buffer's size: 2 MiB reads cost about 450 system calls per
    /// gigabyte, and the buffer always holds a whole record (at most 16 + 262,144 bytes).
    /// </summary>
    internal const int BufferBytes = 2 * 1024 * 1024;

    private readonly SafeFileHandle _file;
    /// <summary>The file's size when it was opened: the most that is read.</summary>
    private readonly long _lengthAtOpen;
    /// <summary>
    /// Where reading ends: the size at open, lowered to what was there if a read comes back
    /// short (the file was truncated under us).
    /// </summary>
    private long _length;
    /// <summary>The file's byte order differs from this machine's.</summary>
    private readonly bool _swapped;
    private readonly bool _nanoseconds;
    private readonly LengthOrder _lengthOrder;
    /// <summary>libpcap's <c>p->snapshot</c>: the header's snap length, or the maximum when it is 0 or above INT_MAX.</summary>
    private readonly uint _snapshot;

    /// <summary>File bytes [<see cref="_bufferStart"/>, <see cref="_bufferStart"/> + <see cref="_buffered"/>).</summary>
    private byte[]? _buffer;
    private long _bufferStart;
    private int _buffered;

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

    private ManagedPcapReader(SafeFileHandle file, long length, bool swapped, bool nanoseconds, LengthOrder lengthOrder, uint snapshot, LinkType linkType)
    {
        _file = file;
        _lengthAtOpen = length;
        _length = length;
        _swapped = swapped;
        _nanoseconds = nanoseconds;
        _lengthOrder = lengthOrder;
        _snapshot = snapshot;
        LinkType = linkType;
    }

    public LinkType LinkType { get; }

    /// <summary>
    /// Opens <paramref name="path"/> when its header is one this reader takes: a complete file
    /// header, version 2.0-2.4, a link type the engine decodes written as its LINKTYPE_ number
    /// with no extension bits, in a file that can be read at any offset. Null for anything else (a
    /// short or odd header, another link type, a pipe): libpcap opens those and says what is wrong
    /// in its own words. So does a Linux cooked capture written in the other byte order, whose
    /// SocketCAN headers libpcap rewrites (swap_pseudo_headers) and this reader would not.
    /// </summary>
    public static ManagedPcapReader? TryOpen(string path)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            Span<byte> header = stackalloc byte[FileHeaderBytes];
            // The size checked here is the most that is read, whatever happens to the file later.
            // A pipe or character device has no length to read up to: libpcap streams those.
            var length = RandomAccess.GetLength(file);
            if (length >= FileHeaderBytes
                && RandomAccess.Read(file, header, 0) == FileHeaderBytes
                && FromHeader(file, header, length) is { } reader)
            {
                return reader;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // Not readable at an offset after all: libpcap reads it.
        }
        file.Dispose();
        return null;
    }

    private static ManagedPcapReader? FromHeader(SafeFileHandle file, ReadOnlySpan<byte> header, long length)
    {
        var fileLittleEndian = true;
        var nanoseconds = false;
        switch (BinaryPrimitives.ReadUInt32LittleEndian(header))
        {
            case 0xa1b2c3d4: break;
            case 0xa1b23c4d: nanoseconds = true; break;
            case 0xd4c3b2a1: fileLittleEndian = false; break;
            case 0x4d3cb2a1: fileLittleEndian = false; nanoseconds = true; break;
            default: return null;
        }
        var swapped = fileLittleEndian != BitConverter.IsLittleEndian;
        var major = Read16(header[4..], swapped);
        var minor = Read16(header[6..], swapped);
        var snapLength = Read32(header[16..], swapped);
        var linkField = Read32(header[20..], swapped);
        // 543.0 (DG/UX) and anything libpcap refuses stay with libpcap, which words the refusal.
        if (major != 2 || minor > 4 || linkField > int.MaxValue || !IsManagedLinkType((int)linkField, out var linkType))
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
        return new ManagedPcapReader(file, length, swapped, nanoseconds, lengthOrder, snapshot, linkType);
    }

    /// <summary>
    /// The LINKTYPE_ numbers the engine decodes whose DLT_ number libpcap reports as the same
    /// type (linktype_to_dlt): BSD's raw IP numbers 12 and 14, and LINKTYPE_ values with the
    /// upper bits (FCS length) set, go through libpcap.
    /// </summary>
    private static bool IsManagedLinkType(int value, out LinkType linkType)
    {
        linkType = default;
        return value is not (12 or 14) && LinkTypes.TryFromPcap(value, out linkType);
    }

    /// <summary>
    /// Hands every frame to <paramref name="sink"/> until the end of the size seen at open or the
    /// first damaged record, like <see cref="CaptureFileReader.ReadAll"/> over libpcap: the same
    /// count, the same bytes (16 per record header plus the frame) and the same error text.
    /// </summary>
    /// <remarks>
    /// A file truncated while it is read ends where it now ends, what was read before is handed
    /// over (up to one buffer of frames from beyond the new end), and the error says it shrank:
    /// that is what happened, not a damaged file.
    /// </remarks>
    public CaptureReadResult ReadAll(IFrameSink sink, Action<CaptureReadResult>? progress, int progressEvery)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _buffer ??= GC.AllocateUninitializedArray<byte>(BufferBytes);
        var result = ReadRecords(sink, progress, progressEvery);
        return _length < _lengthAtOpen
            ? result with { Error = $"{ShrankWhileRead}: {_lengthAtOpen} bytes when opened, none left at byte {_length} (another process truncated it in place, as tcpdump -W does when it reuses a ring file)" }
            : result;
    }

    private CaptureReadResult ReadRecords(IFrameSink sink, Action<CaptureReadResult>? progress, int progressEvery)
    {
        long packets = 0;
        long bytes = 0;
        long offset = FileHeaderBytes;
        var linkType = LinkType;
        while (true)
        {
            var header = Fill(offset, RecordHeaderBytes);
            var remaining = _length - offset;
            if (remaining == 0)
            {
                return new CaptureReadResult(packets, bytes, null);
            }
            if (remaining < RecordHeaderBytes)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {RecordHeaderBytes} header bytes, only got {remaining}");
            }

            // struct pcap_timeval is two signed 32-bit fields, widened to time_t and suseconds_t as
            // they are; libpcap 1.10's byte swap (SWAPLONG) yields them unsigned. Measured against
            // libpcap (ManagedPcapReaderTests): a seconds field of 0x80000000 is 1901 in a file of
            // this machine's byte order, 2038 in one of the other.
            var rawSeconds = Read32(header, _swapped);
            var rawFraction = Read32(header[4..], _swapped);
            var seconds = _swapped ? rawSeconds : (long)(int)rawSeconds;
            var fraction = _swapped ? rawFraction : (long)(int)rawFraction;
            var captured = Read32(header[8..], _swapped);
            var original = Read32(header[12..], _swapped);
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
            // libpcap hands out at most the snapshot length and skips the rest of a longer record.
            var handed = (int)Math.Min(captured, _snapshot);
            var frame = Fill(offset + RecordHeaderBytes, handed);
            // After the fill: a short read there has lowered the length to what the file still holds.
            var available = _length - offset - RecordHeaderBytes;
            if (available < handed)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {handed} captured bytes, only got {available}");
            }
            if (available < captured)
            {
                return new CaptureReadResult(packets, bytes, $"truncated dump file; tried to read {captured} captured bytes, only got {available}");
            }

            sink.OnFrame(linkType, frame[..handed], (seconds * 1_000_000) + fraction);
            offset += RecordHeaderBytes + captured;
            packets++;
            bytes += handed + RecordHeaderBytes;
            if (progress is not null && packets % progressEvery == 0)
            {
                progress(new CaptureReadResult(packets, bytes, null));
            }
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>
    /// The file's bytes from <paramref name="offset"/>, at least <paramref name="count"/> of them
    /// unless the file ends first: from the buffer, reading on into it when they are not all there
    /// yet (what is left of the buffer moves to its front first, at most one record). Sinks hold
    /// no span past <see cref="IFrameSink.OnFrame"/>, so everything before offset is done with.
    /// A read that returns nothing before the size seen at open means the file was truncated
    /// under us: its length becomes what was read.
    /// </summary>
    private ReadOnlySpan<byte> Fill(long offset, int count)
    {
        var buffer = _buffer!;
        var wanted = Math.Min(count, _length - offset);
        var at = offset - _bufferStart;
        if (at + wanted > _buffered)
        {
            var kept = (int)Math.Max(0, _buffered - at);
            if (kept > 0)
            {
                Buffer.BlockCopy(buffer, (int)at, buffer, 0, kept);
            }
            _bufferStart = offset;
            _buffered = kept;
            at = 0;
            while (_buffered < wanted)
            {
                var end = _bufferStart + _buffered;
                var read = RandomAccess.Read(_file, buffer.AsSpan(_buffered, (int)Math.Min(buffer.Length - _buffered, _length - end)), end);
                if (read == 0)
                {
                    _length = end;
                    break;
                }
                _buffered += read;
            }
        }
        return buffer.AsSpan((int)at, (int)Math.Max(0, Math.Min(_buffered - at, _length - offset)));
    }

    private static uint Read32(ReadOnlySpan<byte> at, bool swapped)
    {
        var value = MemoryMarshal.Read<uint>(at);
        return swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }

    private static ushort Read16(ReadOnlySpan<byte> at, bool swapped)
    {
        var value = MemoryMarshal.Read<ushort>(at);
        return swapped ? BinaryPrimitives.ReverseEndianness(value) : value;
    }
}
