using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>What libpcap knows about the machine's interfaces, for validation and opening.</summary>
internal static class CaptureDevices
{
    /// <summary>Linux's pseudo-device capturing on every interface (cooked headers).</summary>
    public const string Any = "any";

    /// <summary>Interface names libpcap can capture on, <c>any</c> included, sorted.</summary>
    public static IReadOnlyList<string> ListNames()
    {
        // PcapInterface's list is libpcap's pcap_findalldevs as is; LibPcapLiveDeviceList
        // leaves some interfaces out (on Linux: eth0 and any, seen on Debian 12).
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var found in PcapInterface.GetAllPcapInterfaces())
        {
            names.Add(found.Name);
        }
        if (OperatingSystem.IsLinux())
        {
            names.Add(Any);
        }
        return [.. names];
    }

    /// <summary>The interface named <paramref name="name"/>, ready to open, or null when it does not exist (now).</summary>
    public static LibPcapLiveDevice? Find(string name)
    {
        foreach (var found in PcapInterface.GetAllPcapInterfaces())
        {
            if (string.Equals(found.Name, name, StringComparison.Ordinal))
            {
                return new LibPcapLiveDevice(found);
            }
        }
        return null;
    }

    /// <summary>
    /// Compiles <paramref name="filter"/> with libpcap for the link type the interface
    /// delivers, without opening it (pcap_open_dead: no privileges needed, so check-config
    /// works as any user). Null when it compiles, else libpcap's reason.
    /// </summary>
    public static string? CompileFilter(string interfaceName, string filter)
    {
        var linkType = LinkTypeOf(interfaceName);
        try
        {
            using var program = BpfProgram.Create(linkType, filter, 1, 0);
            return null;
        }
        catch (PcapException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The link type libpcap will report once the interface is open, from the kernel's
    /// ARPHRD type (sysfs), so a filter can be compiled before opening. Ethernet when unknown.
    /// </summary>
    private static LinkLayers LinkTypeOf(string interfaceName)
    {
        if (interfaceName == Any)
        {
            return LinkLayers.LinuxSll;
        }
        int arphrd;
        try
        {
            var text = File.ReadAllText(Path.Combine("/sys/class/net", interfaceName, "type")).Trim();
            if (!int.TryParse(text, out arphrd))
            {
                return LinkLayers.Ethernet;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return LinkLayers.Ethernet;
        }
        return arphrd switch
        {
            // ARPHRD_PPP, ARPHRD_NONE (tun, WireGuard), ARPHRD_RAWIP: raw IP.
            512 or 65534 or 519 => LinkLayers.Raw,
            // ARPHRD_ETHER, ARPHRD_LOOPBACK (Linux loopback carries Ethernet headers), and the rest.
            _ => LinkLayers.Ethernet,
        };
    }
}
