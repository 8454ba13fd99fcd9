using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;

namespace PoolDetector.Workers;

/// <summary>
/// Which worker owns a packet's flow. Every flow to one server address goes to the same
/// worker, so what one engine remembers across flows (pools learned from a clear-text session,
/// verdicts per host and pool) meets every later flow it concerns, as in a single engine.
/// </summary>
internal static class FlowShard
{
    public static int Owner(in DecodedPacket packet, HomeNetworks home, int workers) =>
        (int)(Mix(ServerSide(packet, home)) % (uint)workers);

    /// <summary>
    /// The address the flow's pool, if any, would have: the outside one when exactly one side
    /// is in the home networks; otherwise the side with the lower port (services listen on low
    /// ports, clients call from ephemeral ones), and the lower address when the ports are equal.
    /// Both directions of a flow give the same address.
    /// </summary>
    private static IpAddress ServerSide(in DecodedPacket packet, HomeNetworks home)
    {
        var sourceInside = home.Contains(packet.Source);
        if (sourceInside != home.Contains(packet.Destination))
        {
            return sourceInside ? packet.Destination : packet.Source;
        }
        if (packet.SourcePort != packet.DestinationPort)
        {
            return packet.SourcePort < packet.DestinationPort ? packet.Source : packet.Destination;
        }
        return packet.Source.CompareTo(packet.Destination) <= 0 ? packet.Source : packet.Destination;
    }

    /// <summary>A fixed mix (not the randomised <see cref="HashCode"/>), so a file splits the same way every run.</summary>
    private static uint Mix(IpAddress address)
    {
        var x = address.High ^ (address.Low * 0x9E3779B97F4A7C15UL);
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 32;
        return (uint)x;
    }
}
