using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using PoolDetector.Core.Decoding;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>What reading a capture file to its end gave: packets read, and why it stopped early if it did.</summary>
internal readonly record struct CaptureReadResult(long Packets, long Bytes, string? Error)
{
    public bool Complete => Error is null;
}

/// <summary>
/// Reads a pcap or pcapng file frame by frame: a classic pcap file with the program's own reader
/// (<see cref="ManagedPcapReader"/>: large reads into one buffer, each frame's span points into
/// it), everything else with libpcap (through SharpPcap: each frame's span points into libpcap's
/// buffer). Which one is decided when the file is opened; both give the same frames and errors.
/// </summary>
internal sealed class CaptureFileReader : IDisposable
{
    // pcap_next_ex return codes (pcap/pcap.h).
    private const int PacketRead = 1;
    private const int EndOfFile = -2;

    /// <summary>Null for a pcapng file with no interfaces, which holds no packets, and for a file the managed reader reads.</summary>
    private readonly CaptureFileReaderDevice? _device;
    private readonly ManagedPcapReader? _managed;

    private CaptureFileReader(string path, CaptureFileReaderDevice? device, LinkType linkType, long fileSize)
    {
        Path = path;
        _device = device;
        LinkType = linkType;
        FileSize = fileSize;
    }

    private CaptureFileReader(string path, ManagedPcapReader managed, long fileSize)
        : this(path, device: null, managed.LinkType, fileSize)
    {
        _managed = managed;
    }

    public string Path { get; }

    public LinkType LinkType { get; }

    public long FileSize { get; }

    /// <summary>
    /// True when libpcap reads the file, a call and two copies per packet, worth overlapping
    /// with the engine on another thread (<see cref="ReadAhead"/>). False for the managed reader,
    /// whose 2 MiB reads from the page cache cost little beside the engine: it reads in line.
    /// </summary>
    public bool UsesLibpcap => _managed is null;

    /// <summary>
    /// Opens <paramref name="path"/> for reading; on failure <paramref name="problem"/> says
    /// what is wrong in words an operator can act on. Never throws for bad input.
    /// </summary>
    /// <param name="libpcapOnly">
    /// True reads a classic pcap file with libpcap too: the reference the managed reader is
    /// tested against.
    /// </param>
    public static bool TryOpen(string path, [NotNullWhen(true)] out CaptureFileReader? reader, [NotNullWhen(false)] out string? problem, bool libpcapOnly = false)
    {
        reader = null;
        problem = Precheck(path, out var fileSize, out var format);
        if (problem is not null)
        {
            return false;
        }
        if (!libpcapOnly && format == CaptureFormat.Pcap && ManagedPcapReader.TryOpen(path) is { } managed)
        {
            reader = new CaptureFileReader(path, managed, fileSize);
            return true;
        }

        var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open();
        }
        catch (PcapException e)
        {
            device.Dispose();
            if (format == CaptureFormat.PcapNg && e.Message.Contains(NoInterfaces, StringComparison.Ordinal))
            {
                // A section needs no interfaces (pcapng: an IDB is needed only before a block
                // that refers to one), and libpcap reported none before the end of the file,
                // after checking every block it skipped for packets: a valid capture holding
                // zero packets, as a writer stopped before its first interface leaves it.
                // Wireshark reads it as empty; so do we. The link type is never used.
                reader = new CaptureFileReader(path, device: null, LinkType.Ethernet, fileSize);
                return true;
            }
            problem = DescribeOpenFailure(e.Message);
            return false;
        }

        var link = device.LinkType;
        if (!LinkTypes.TryFromPcap((int)link, out var linkType))
        {
            device.Dispose();
            problem = $"unsupported link type {(int)link} ({link}); supported: Ethernet, Linux cooked v1/v2, raw IP, BSD and OpenBSD loopback, PPP, Cisco HDLC";
            return false;
        }

        reader = new CaptureFileReader(path, device, linkType, fileSize);
        return true;
    }

    /// <summary>
    /// Hands every frame to <paramref name="sink"/> until the end of the file or the first
    /// read error (a truncated or damaged file), reporting progress every
    /// <paramref name="progressEvery"/> packets.
    /// </summary>
    public CaptureReadResult ReadAll(IFrameSink sink, Action<CaptureReadResult>? progress = null, int progressEvery = 8192)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_managed is not null)
        {
            return _managed.ReadAll(sink, progress, progressEvery);
        }
        if (_device is null)
        {
            return new CaptureReadResult(0, 0, null);
        }
        long packets = 0;
        long bytes = 0;
        nint header = 0;
        nint data = 0;
        while (true)
        {
            // GetNextPacket would allocate a PcapHeader and a PosixTimeval per packet; the
            // pointer form reads libpcap's pcap_pkthdr in place.
            var status = _device.GetNextPacketPointers(ref header, ref data);
            if (status == PacketRead)
            {
                var caplen = PcapPacketHeader.CaptureLength(header);
                long timestamp = PcapPacketHeader.TimestampMicros(header);
                ReadOnlySpan<byte> frame;
                unsafe
                {
                    frame = new ReadOnlySpan<byte>((void*)data, (int)caplen);
                }
                sink.OnFrame(LinkType, frame, timestamp);
                packets++;
                // The record header is 16 bytes in pcap; close enough for pcapng's progress too.
                bytes += caplen + 16;
                if (progress is not null && packets % progressEvery == 0)
                {
                    progress(new CaptureReadResult(packets, bytes, null));
                }
                continue;
            }
            if (status == EndOfFile)
            {
                return new CaptureReadResult(packets, bytes, null);
            }

            // -1 is a read error with libpcap's reason in pcap_geterr, such as "truncated
            // dump file; tried to read 128 captured bytes, only got 10". Anything else (0 is
            // a live-capture timeout) cannot happen for a file; stop rather than spin.
            var reason = status == -1 ? _device.LastError : $"unexpected libpcap status {status}";
            return new CaptureReadResult(packets, bytes, string.IsNullOrEmpty(reason) ? "read error" : reason);
        }
    }

    public void Dispose()
    {
        _device?.Dispose();
        _managed?.Dispose();
    }

    /// <summary>
    /// Checks libpcap would only describe vaguely ("unknown file format", or a bare errno):
    /// the file's existence, permissions, size and magic number.
    /// </summary>
    private static string? Precheck(string path, out long fileSize, out CaptureFormat format)
    {
        fileSize = 0;
        format = CaptureFormat.Unknown;
        if (Directory.Exists(path))
        {
            return "is a directory, not a capture file";
        }
        Span<byte> magic = stackalloc byte[4];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            fileSize = stream.Length;
            read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }
        catch (FileNotFoundException)
        {
            return "file not found";
        }
        catch (DirectoryNotFoundException)
        {
            return "file not found";
        }
        catch (UnauthorizedAccessException)
        {
            return "permission denied";
        }
        catch (IOException e)
        {
            return "cannot read: " + e.Message;
        }

        if (fileSize == 0)
        {
            return "empty file (0 bytes), not a capture";
        }
        if (read < magic.Length)
        {
            return $"not a capture file: only {read} byte(s), too short for a pcap or pcapng header";
        }
        format = CaptureMagic.Classify(magic);
        return format switch
        {
            CaptureFormat.Pcap or CaptureFormat.PcapNg => null,
            CaptureFormat.Compressed => "compressed file; decompress it first (libpcap reads only uncompressed pcap and pcapng)",
            _ => $"not a capture file: unknown magic number {Convert.ToHexStringLower(magic)} (expected pcap a1b2c3d4/a1b23c4d or pcapng 0a0d0d0a)",
        };
    }

    /// <summary>libpcap's open error for a pcapng file that ends before any Interface Description Block (pcap-ng.c).</summary>
    private const string NoInterfaces = "has no Interface Description Blocks";

    private static string DescribeOpenFailure(string message)
    {
        // SharpPcap prefixes libpcap's errbuf; the errbuf alone is what the operator needs.
        const string prefix = "Unable to open offline adapter: ";
        var reason = message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
        return reason.Contains("truncated", StringComparison.OrdinalIgnoreCase)
            ? "truncated capture, the file header is incomplete (" + reason + ")"
            : reason;
    }
}
