using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>libpcap calls SharpPcap does not expose.</summary>
internal static unsafe class LibPcapNative
{
    private static readonly delegate* unmanaged<nint, void> BreakLoopFunction = Resolve("pcap_breakloop");

    /// <summary>
    /// pcap_breakloop: makes a pcap_next_ex blocked in another thread return -2. Needed
    /// because in immediate mode Linux libpcap polls without a timeout (TPACKET_V2), so a
    /// quiet interface would never give its capture thread a chance to see the stop flag;
    /// since libpcap 1.10 the call also wakes the poll (an eventfd).
    /// </summary>
    public static void BreakLoop(LibPcapLiveDevice device)
    {
        if (BreakLoopFunction is null)
        {
            return;
        }
        var handle = device.Handle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            BreakLoopFunction(handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static delegate* unmanaged<nint, void> Resolve(string name)
    {
        foreach (var library in new[] { "libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib", "wpcap" })
        {
            if (NativeLibrary.TryLoad(library, out var handle) && NativeLibrary.TryGetExport(handle, name, out var export))
            {
                return (delegate* unmanaged<nint, void>)export;
            }
        }
        return null;
    }
}
