using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Intel;

/// <summary>
/// The operator's exceptions (<c>rules/intel/allowlist*.tsv</c>): internal hosts, server
/// addresses or ranges, domains and wallets that are never reported, each with a reason
/// and an expiry. Entries already expired when loaded are left out and counted; the
/// rules reload (<see cref="PoolIntel.NextAllowlistExpiry"/>) drops the rest as they lapse.
/// </summary>
public sealed class IntelAllowlist
{
    private readonly Dictionary<string, IntelEntry> _wallets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IntelEntry>.AlternateLookup<ReadOnlySpan<char>> _walletLookup;

    internal IntelAllowlist()
    {
        _walletLookup = _wallets.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public DomainMatcher Domains { get; } = new();

    /// <summary>Internal hosts and servers alike: callers check both ends of a flow.</summary>
    public AddressMatcher Addresses { get; } = new();

    public int WalletCount => _wallets.Count;

    public int Count => Domains.Count + Addresses.Count + _wallets.Count;

    /// <summary>Entries left out because their expiry date had passed when loaded.</summary>
    public int ExpiredCount { get; internal set; }

    /// <summary>Wallets are compared exactly (base58 and bech32 are case-sensitive or canonical).</summary>
    public bool TryMatchWallet(ReadOnlySpan<char> wallet, out IntelMatch match)
    {
        if (_walletLookup.TryGetValue(wallet.Trim(), out var key, out var entry))
        {
            match = new IntelMatch(key, entry);
            return true;
        }
        match = default;
        return false;
    }

    public bool IsAllowed(IpAddress address) => Addresses.Matches(address);

    public bool IsAllowed(ReadOnlySpan<char> domain) => Domains.Matches(domain);

    /// <summary>
    /// As of <paramref name="day"/> (packet time): an entry that lapsed since the lists were
    /// loaded no longer applies, without waiting for a reload.
    /// </summary>
    public bool IsAllowed(IpAddress address, DateOnly day) => Addresses.TryMatch(address, 0, out var match) && InForce(match, day);

    public bool IsAllowed(ReadOnlySpan<char> domain, DateOnly day) => Domains.TryMatch(domain, out var match) && InForce(match, day);

    public bool IsWalletAllowed(ReadOnlySpan<char> wallet, DateOnly day) => TryMatchWallet(wallet, out var match) && InForce(match, day);

    private static bool InForce(in IntelMatch match, DateOnly day) => match.Entry.Expires is not { } last || day <= last;

    internal void AddWallet(string wallet, IntelEntry entry) => _wallets.TryAdd(wallet, entry);
}
