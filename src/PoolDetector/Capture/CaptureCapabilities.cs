using System.Globalization;

namespace PoolDetector.Capture;

/// <summary>
/// Whether this process may capture: Linux packet sockets need CAP_NET_RAW in the effective
/// set (root has it; the systemd unit gives it as an ambient capability to its unprivileged
/// user). Read from /proc/self/status, so the daemon can say what is missing before libpcap
/// fails with "Operation not permitted" on every interface and every retry.
/// </summary>
internal static class CaptureCapabilities
{
    private const int NetAdmin = 12;
    private const int NetRaw = 13;

    /// <summary>
    /// Null when capture may work; otherwise the problem, naming the missing capability and
    /// how to grant it. Null too where the capabilities cannot be read (not Linux): libpcap's
    /// own error then says it.
    /// </summary>
    public static string? Problem(bool promiscuous)
    {
        if (ReadEffective() is not { } effective)
        {
            return null;
        }
        if ((effective & (1UL << NetRaw)) != 0)
        {
            return null;
        }
        return $"Capture: the process lacks CAP_NET_RAW (effective capabilities {effective:x16}), which packet capture needs" +
            (promiscuous && (effective & (1UL << NetAdmin)) == 0 ? "; CAP_NET_ADMIN is missing too (promiscuous mode on some drivers)" : "") +
            ". Run it as the systemd unit does (User=pooldetector, AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN), " +
            "or give the executable the capabilities (setcap cap_net_raw,cap_net_admin=eip /opt/pooldetector/pooldetector), or run it as root.";
    }

    private static ulong? ReadEffective()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal) &&
                    ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
