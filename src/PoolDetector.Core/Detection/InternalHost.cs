using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Detection;

/// <summary>The internal host of a detection: which side it is, and its MAC and DHCP name.</summary>
public static class InternalHost
{
    /// <summary>
    /// Orients the detection by the home networks and names its internal host. The memories keep
    /// the protocol's orientation (later flows are looked up by client and server); only what is
    /// reported is turned round. A miner outside the home networks talking to a pool inside them
    /// becomes a detection whose source is the internal side (a campus host serving miners); with
    /// both sides inside, or neither, the protocol's orientation stands. Only a source inside the
    /// home networks is attributed: its MAC as its frames carried it, or as DHCP gave it, which wins,
    /// since behind a router the frames carry the router's MAC and DHCP (relayed) still the host's;
    /// and the name it held the address under at the detection's time.
    /// </summary>
    /// <remarks>The detector calls it as it reports, with the flow still at hand (each side's MAC).</remarks>
    public static MiningDetection Attribute(MiningDetection detection, Flow flow, HomeNetworks homeNetworks, DhcpLeases dhcp)
    {
        ArgumentNullException.ThrowIfNull(detection);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(homeNetworks);
        ArgumentNullException.ThrowIfNull(dhcp);
        if (homeNetworks.IsEmpty)
        {
            return detection;
        }
        var d = detection;
        if (!homeNetworks.Contains(d.MinerAddress))
        {
            if (!homeNetworks.Contains(d.PoolAddress))
            {
                return d;
            }
            d = d.TurnedRound();
        }
        var mac = d.MinerAddress == flow.ClientAddress && d.MinerPort == flow.ClientPort ? flow.ClientMac : flow.ServerMac;
        string? hostName = null;
        if (dhcp.TryGet(d.MinerAddress, d.TimestampMicros, out var lease))
        {
            hostName = lease.HostName;
            if (!lease.Mac.IsNone)
            {
                mac = lease.Mac;
            }
        }
        if (mac.IsNone && hostName is null)
        {
            return d;
        }
        var host = d.Host ?? new HostAttribution();
        return d with
        {
            Host = host with
            {
                Mac = mac.IsNone ? host.Mac : mac.ToString(),
                Hostname = hostName ?? host.Hostname,
            },
        };
    }
}
