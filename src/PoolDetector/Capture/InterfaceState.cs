namespace PoolDetector.Capture;

/// <summary>
/// Whether a capture interface is down, from the kernel's RFC 2863 operational state
/// (<c>/sys/class/net/NAME/operstate</c>): down when configured down, without carrier, or
/// when the device under it is down. Conservative: anything it cannot read counts as up, so a
/// missing sysfs never stops a capture (libpcap reports a device that disappears itself).
/// </summary>
internal static class InterfaceState
{
    /// <summary>Why <paramref name="interfaceName"/> is down, or null when it is up or its state is unknown.</summary>
    public static string? DownReason(string interfaceName)
    {
        if (!OperatingSystem.IsLinux() || interfaceName == CaptureDevices.Any
            || interfaceName.Contains('/', StringComparison.Ordinal) || interfaceName is "." or "..")
        {
            return null;
        }
        string state;
        try
        {
            state = File.ReadAllText(Path.Combine("/sys/class/net", interfaceName, "operstate")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return state switch
        {
            "down" => "the interface is down (operstate down: configured down or no carrier)",
            "lowerlayerdown" => "the interface is down (operstate lowerlayerdown: the device under it is down)",
            "notpresent" => "the interface is not present (operstate notpresent)",
            // up, unknown (loopback, dummy, tun), dormant, testing: capture.
            _ => null,
        };
    }
}
