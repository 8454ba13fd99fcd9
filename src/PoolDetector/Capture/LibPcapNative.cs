using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>libpcap calls SharpPcap does not expose, or does not marshal right.</summary>
internal static unsafe class LibPcapNative
{
    private static readonly delegate* unmanaged<nint, void> BreakLoopFunction = (delegate* unmanaged<nint, void>)Resolve("pcap_breakloop");
    private static readonly delegate* unmanaged<nint, uint*, int> StatsFunction = (delegate* unmanaged<nint, uint*, int>)Resolve("pcap_stats");

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

    /// <summary>
    /// pcap_stats: ps_recv, ps_drop (the kernel's buffer was full) and ps_ifdrop, false when
    /// libpcap cannot say. Not SharpPcap's <c>device.Statistics</c>: SharpPcap 6.3.1 reads
    /// struct pcap_stat on Unix as three pointer-sized fields where libpcap writes three
    /// u_int, so its "dropped" is ps_ifdrop and ps_drop is never seen (a live replay at full
    /// speed showed 611,000 packets missing with kernel_dropped 0).
    /// </summary>
    public static bool TryGetStatistics(LibPcapLiveDevice device, out uint received, out uint dropped, out uint interfaceDropped)
    {
        (received, dropped, interfaceDropped) = (0, 0, 0);
        if (StatsFunction is null)
        {
            return false;
        }
        // Room for Npcap's longer struct (ps_capt, ps_sent, ps_netdrop after the three) too.
        var stat = stackalloc uint[6];
        var handle = device.Handle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (StatsFunction(handle.DangerousGetHandle(), stat) != 0)
            {
                return false;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
        (received, dropped, interfaceDropped) = (stat[0], stat[1], stat[2]);
        return true;
    }

    private static nint Resolve(string name)
    {
        foreach (var library in new[] { "libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib", "wpcap" })
        {
            if (NativeLibrary.TryLoad(library, out var handle) && NativeLibrary.TryGetExport(handle, name, out var export))
            {
                return export;
            }
        }
        return 0;
    }
}
