using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>A pcap file being written frame by frame (evidence captures). Not thread-safe: one writer thread.</summary>
internal interface IPcapFileWriter : IDisposable
{
    /// <summary>Appends one frame with its capture time, microseconds since the Unix epoch.</summary>
    void Write(ReadOnlySpan<byte> frame, long timestampMicros);

    /// <summary>Finishes the file; after it the file on disk is complete (or this threw).</summary>
    void Close();
}

/// <summary>Opens a new pcap file at <paramref name="path"/> for frames of <paramref name="linkType"/>; throws <see cref="IOException"/> when it cannot.</summary>
internal delegate IPcapFileWriter PcapFileWriterFactory(string path, Core.Decoding.LinkType linkType);

/// <summary>
/// Writes classic pcap files (microsecond timestamps) through libpcap's <c>pcap_dump</c>, with
/// SharpPcap's <see cref="CaptureFileWriterDevice"/>: the same library that reads them, so what
/// the sensor writes is what tcpdump and Wireshark read. libpcap's dump calls do not report write
/// errors (stdio, unchecked), so <see cref="Close"/> compares the file's size with what was
/// written: a full disk shows up as an exception, never as a silently short file.
/// </summary>
internal sealed class CaptureFileWriter : IPcapFileWriter
{
    /// <summary>pcap's file header and per-record header.</summary>
    private const long FileHeaderBytes = 24;
    private const long RecordHeaderBytes = 16;

    /// <summary>Frames are never longer than the largest snap length the sensor accepts.</summary>
    public const int SnapLength = 262_144;

    private readonly string _path;
    private readonly CaptureFileWriterDevice _device;
    private readonly PcapHeader _header = new(0, 0, 0, 0);
    private long _expectedBytes = FileHeaderBytes;
    private bool _closed;

    private CaptureFileWriter(string path, CaptureFileWriterDevice device)
    {
        _path = path;
        _device = device;
    }

    public static PcapFileWriterFactory Factory { get; } = Create;

    /// <summary>Creates (or truncates) <paramref name="path"/>; <see cref="IOException"/> with libpcap's reason when it cannot.</summary>
    public static CaptureFileWriter Create(string path, Core.Decoding.LinkType linkType)
    {
        var device = new CaptureFileWriterDevice(path, FileMode.Create);
        try
        {
            device.Open(new DeviceConfiguration
            {
                LinkLayerType = (LinkLayers)ToDataLinkType(linkType),
                Snaplen = SnapLength,
            });
        }
        catch (PcapException e)
        {
            device.Dispose();
            throw new IOException($"cannot create {path}: {e.Message}", e);
        }
        return new CaptureFileWriter(path, device);
    }

    public long Packets { get; private set; }

    public void Write(ReadOnlySpan<byte> frame, long timestampMicros)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var micros = Math.Max(0, timestampMicros);
        _header.Timeval = new PosixTimeval((ulong)(micros / 1_000_000), (ulong)(micros % 1_000_000));
        _header.CaptureLength = (uint)frame.Length;
        _header.PacketLength = (uint)frame.Length;
        var header = _header;
        _device.Write(frame, ref header);
        _expectedBytes += RecordHeaderBytes + frame.Length;
        Packets++;
    }

    public void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        // pcap_dump_close: flushes and closes the stdio stream.
        _device.Close();
        var actual = new FileInfo(_path).Length;
        if (actual != _expectedBytes)
        {
            throw new IOException($"{_path}: {actual} bytes on disk, {_expectedBytes} written (disk full?)");
        }
    }

    public void Dispose()
    {
        _closed = true;
        _device.Dispose();
    }

    /// <summary>
    /// What <c>pcap_open_dead</c> takes is a DLT, which libpcap maps to the file's LINKTYPE.
    /// They are the same number for every link type the engine reads except raw IP: LINKTYPE_RAW
    /// is 101, which as a DLT means nothing to libpcap; the DLT is 12 (on every platform .NET runs on).
    /// </summary>
    private static int ToDataLinkType(Core.Decoding.LinkType linkType) => linkType switch
    {
        Core.Decoding.LinkType.Raw => 12,
        _ => (int)linkType,
    };
}
