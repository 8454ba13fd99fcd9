using PoolDetector.Core.Decoding;
using PoolDetector.Core.Protocols.Dhcp;

namespace PoolDetector.Core.Detection.Memory;

/// <summary>Who held an address, as DHCP showed it: from the commit to the lease's end or the release, in packet time.</summary>
public readonly record struct DhcpLease(string? HostName, MacAddress Mac, long FromMicros, long UntilMicros)
{
    public bool Covers(long micros) => micros >= FromMicros && micros < UntilMicros;
}

/// <summary>
/// Address → the host that held it (name, MAC, from, until), learned passively from DHCPv4 and
/// DHCPv6, so a detection can name its internal host as it was at the detection's time. Bounded:
/// the least recently touched address is forgotten first. The two latest holders of each
/// address are kept, so a detection judged at flow end still finds the host of its start after
/// the address has passed to another.
/// </summary>
/// <remarks>
/// Servers often answer without the client's name, so the name a client gives in its request
/// (DISCOVER, REQUEST; Solicit, Request, Renew) is held by transaction id and client MAC until
/// the server commits: the commit's own name wins, the request's fills in.
/// </remarks>
public sealed class DhcpLeases
{
    public const int DefaultCapacity = 65_536;
    private const int PendingCapacity = 4096;
    private const long MicrosPerSecond = 1_000_000;

    private readonly BoundedLru<IpAddress, Holders> _leases;
    private readonly BoundedLru<(uint Transaction, MacAddress Mac, bool V6), string> _pendingNames = new(PendingCapacity);

    public DhcpLeases(int capacity = DefaultCapacity)
    {
        _leases = new BoundedLru<IpAddress, Holders>(capacity);
    }

    public int Count => _leases.Count;

    public int Capacity => _leases.Capacity;

    /// <summary>Addresses forgotten to stay within <see cref="Capacity"/>.</summary>
    public long Evicted => _leases.Evicted;

    /// <summary>The holder of <paramref name="address"/> at <paramref name="micros"/> (packet time), if DHCP showed one.</summary>
    public bool TryGet(IpAddress address, long micros, out DhcpLease lease)
    {
        if (_leases.Count > 0 && _leases.TryGetValue(address, out var holders))
        {
            if (holders.Current.Covers(micros))
            {
                lease = holders.Current;
                return true;
            }
            if (holders.Previous is { } previous && previous.Covers(micros))
            {
                lease = previous;
                return true;
            }
        }
        lease = default;
        return false;
    }

    /// <summary>Applies one parsed message seen at <paramref name="micros"/>.</summary>
    public void Observe(in DhcpMessage message, long micros)
    {
        switch (message.Kind)
        {
            case DhcpKind.ClientRequest:
                if (DhcpNames.Of(message) is { } asked)
                {
                    _pendingNames.Set((message.TransactionId, message.ClientMac, message.IsV6), asked);
                }
                break;
            case DhcpKind.Commit when message.HasAssignedAddress && message.HasLeaseTime:
                var key = (message.TransactionId, message.ClientMac, message.IsV6);
                var name = DhcpNames.Of(message);
                if (_pendingNames.TryGetValue(key, out var requested))
                {
                    name ??= requested;
                    _pendingNames.Remove(key);
                }
                // A DHCPv4 ACK with ciaddr set answers a renewal: the client has held the address
                // since at least its renewal time T1, half the lease by default (RFC 2131 section 4.4.5).
                var renewal = !message.IsV6 && message.ClientAddress == message.AssignedAddress;
                Commit(message.AssignedAddress, message.ClientMac, name, micros, message.LeaseSeconds, renewal);
                break;
            case DhcpKind.Release:
                if (!message.IsV6 && message.ClientAddress.Low != 0)
                {
                    End(message.ClientAddress, message.ClientMac, micros);
                }
                else if (message.HasAssignedAddress)
                {
                    End(message.AssignedAddress, message.ClientMac, micros);
                }
                break;
        }
    }

    private void Commit(IpAddress address, MacAddress mac, string? name, long micros, uint leaseSeconds, bool renewal)
    {
        if (leaseSeconds == 0)
        {
            // A DHCPv6 valid lifetime of 0: the address is withdrawn.
            End(address, mac, micros);
            return;
        }
        var until = leaseSeconds == uint.MaxValue ? long.MaxValue : micros + (leaseSeconds * MicrosPerSecond);
        if (_leases.TryGetValue(address, out var holders) && holders.Current.Mac == mac && holders.Current.UntilMicros >= micros
            && (name is null || name == holders.Current.HostName))
        {
            // The same host renewing: the lease goes on from when it began.
            _leases.Set(address, holders with { Current = holders.Current with { UntilMicros = Math.Max(until, holders.Current.UntilMicros) } });
            return;
        }
        var from = renewal ? micros - (leaseSeconds / 2 * MicrosPerSecond) : micros;
        var lease = new DhcpLease(name, mac, from, until);
        if (_leases.Count > 0 && _leases.TryGetValue(address, out holders))
        {
            // Another host (or a new name): the old holder's time ends where the new one's begins.
            var current = holders.Current;
            if (current.UntilMicros > lease.FromMicros)
            {
                current = current with { UntilMicros = Math.Max(current.FromMicros, lease.FromMicros) };
            }
            _leases.Set(address, new Holders(lease, current));
        }
        else
        {
            _leases.Set(address, new Holders(lease, null));
        }
    }

    private void End(IpAddress address, MacAddress mac, long micros)
    {
        if (_leases.Count > 0 && _leases.TryGetValue(address, out var holders)
            && (mac.IsNone || holders.Current.Mac.IsNone || holders.Current.Mac == mac)
            && holders.Current.UntilMicros > micros)
        {
            _leases.Set(address, holders with { Current = holders.Current with { UntilMicros = Math.Max(holders.Current.FromMicros, micros) } });
        }
    }

    private readonly record struct Holders(DhcpLease Current, DhcpLease? Previous);
}
