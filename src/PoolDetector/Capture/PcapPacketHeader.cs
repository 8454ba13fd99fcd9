using System.Runtime.InteropServices;

namespace PoolDetector.Capture;

/// <summary>
/// libpcap's <c>struct pcap_pkthdr</c>: a <c>struct timeval</c>, then caplen and len.
/// The timeval's layout is the platform's, as SharpPcap's own PcapHeader reads it:
/// two 32-bit fields on Windows and 32-bit processes, 64-bit seconds and 32-bit
/// microseconds (padded to 16 bytes) on macOS, two 64-bit fields on 64-bit Unix.
/// The device is opened with microsecond precision, so libpcap scales nanosecond files.
/// </summary>
internal static class PcapPacketHeader
{
    private static readonly bool Timeval32 = IntPtr.Size == 4 || OperatingSystem.IsWindows();
    private static readonly bool MacOs = OperatingSystem.IsMacOS();
    private static readonly int CaplenOffset = Timeval32 ? 8 : 16;

    public static uint CaptureLength(nint header) => (uint)Marshal.ReadInt32(header, CaplenOffset);

    public static long TimestampMicros(nint header)
    {
        long seconds;
        long micros;
        if (Timeval32)
        {
            seconds = (uint)Marshal.ReadInt32(header, 0);
            micros = Marshal.ReadInt32(header, 4);
        }
        else if (MacOs)
        {
            seconds = Marshal.ReadInt64(header, 0);
            micros = Marshal.ReadInt32(header, 8);
        }
        else
        {
            seconds = Marshal.ReadInt64(header, 0);
            micros = Marshal.ReadInt64(header, 8);
        }
        return (seconds * 1_000_000) + micros;
    }
}
