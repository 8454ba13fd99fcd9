using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Detection;

/// <summary>
/// The operator's own networks: who is internal. They orient each detection so that its source
/// is the internal host (DESIGN.md: <c>src_*</c> is always the internal host), and only an internal
/// host is attributed (MAC, DHCP name): outside them a MAC is a router's, not the host's.
/// </summary>
public sealed class HomeNetworks
{
    /// <summary>
    /// RFC 1918, shared address space (RFC 6598, carrier-grade NAT and many campus NATs) and IPv6
    /// unique local addresses: private by definition. Networks in public space are the operator's to add.
    /// </summary>
    public static readonly IReadOnlyList<string> Defaults = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"];

    /// <summary>No home networks: detections keep the protocol's orientation and nothing is attributed.</summary>
    public static HomeNetworks None { get; } = new([]);

    /// <summary>
    /// Up to this many networks are scanned, each a mask and compare on two words, rather than
    /// looked up with a hash probe per prefix length: <c>analyze --workers</c> asks about both
    /// addresses of every frame, and a handful of ranges (the defaults are five) is the usual case.
    /// </summary>
    private const int ScanAtMost = 32;

    private readonly PrefixTable<bool> _table = new();
    /// <summary>The networks, when few enough to scan; null: look up <see cref="_table"/>.</summary>
    private readonly IpNetwork[]? _scanned;

    public HomeNetworks(IEnumerable<IpNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var list = new List<IpNetwork>();
        foreach (var network in networks)
        {
            if (_table.TryAdd(network, true))
            {
                list.Add(network);
            }
        }
        Networks = list;
        _scanned = list.Count <= ScanAtMost ? [.. list] : null;
    }

    public IReadOnlyList<IpNetwork> Networks { get; }

    public bool IsEmpty => Networks.Count == 0;

    public bool Contains(IpAddress address)
    {
        if (_scanned is null)
        {
            return _table.Contains(address);
        }
        foreach (var network in _scanned)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses CIDR ranges (a bare address is one host); each problem is added to <paramref name="errors"/> prefixed with <paramref name="where"/>.</summary>
    public static HomeNetworks Parse(IEnumerable<string> ranges, string where, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(errors);
        var networks = new List<IpNetwork>();
        foreach (var text in ranges)
        {
            if (IpNetwork.TryParse(text, out var network) is { } problem)
            {
                errors.Add($"{where}: {problem}");
            }
            else
            {
                networks.Add(network);
            }
        }
        return new HomeNetworks(networks);
    }
}
