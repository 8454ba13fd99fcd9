using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Detection.Memory;

/// <summary>An address a DNS answer gave a client for a pool name.</summary>
public readonly record struct DnsBinding(string Name, long AnsweredMicros, long ExpiresMicros);

/// <summary>
/// Remembers, per client, the addresses DNS answered for pool names, so that the client's next
/// connection to one of them (TLS, a proxy, anything opaque) is named and flagged. Keyed by
/// (client, address) rather than address alone: a pool's website behind a shared CDN address
/// must not implicate every other client of that CDN.
/// </summary>
/// <remarks>
/// The answer's TTL is respected, with a floor of <see cref="MinimumHoldMicros"/> (clients connect
/// right after the answer, and a 0 s or 5 s TTL must not lose that connection) and a ceiling of
/// <see cref="MaximumHoldMicros"/>. Times are packet time.
/// </remarks>
public sealed class DnsAnswerCache
{
    public const int DefaultCapacity = 65_536;
    public const long MinimumHoldMicros = 60_000_000;
    public const long MaximumHoldMicros = 86_400_000_000;

    private readonly BoundedLru<(IpAddress Client, IpAddress Address), DnsBinding> _bindings;

    public DnsAnswerCache(int capacity = DefaultCapacity)
    {
        _bindings = new BoundedLru<(IpAddress, IpAddress), DnsBinding>(capacity);
    }

    public int Count => _bindings.Count;

    /// <summary>Bindings forgotten before their TTL ran out, to stay within the capacity.</summary>
    public long Evicted => _bindings.Evicted;

    public void Remember(IpAddress client, IpAddress address, string name, uint ttlSeconds, long nowMicros)
    {
        var hold = Math.Clamp(ttlSeconds * 1_000_000L, MinimumHoldMicros, MaximumHoldMicros);
        _bindings.Set((client, address), new DnsBinding(name, nowMicros, nowMicros + hold));
    }

    public bool TryGet(IpAddress client, IpAddress address, long nowMicros, out DnsBinding binding)
    {
        if (_bindings.TryGetValue((client, address), out binding))
        {
            if (nowMicros <= binding.ExpiresMicros)
            {
                return true;
            }
            _bindings.Remove((client, address));
        }
        binding = default;
        return false;
    }
}
