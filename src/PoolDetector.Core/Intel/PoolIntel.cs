using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Intel;

/// <summary>
/// Known-pool intelligence loaded from <c>rules/intel/</c>: listed domains and addresses
/// with their provenance, and the operator's allowlist. Immutable once loaded; a reload
/// builds a new one and swaps it in whole.
/// </summary>
public sealed class PoolIntel
{
    internal PoolIntel(DomainMatcher domains, AddressMatcher addresses, IntelAllowlist allowlist, IReadOnlyList<string> files, DateOnly? nextAllowlistExpiry)
    {
        Domains = domains;
        Addresses = addresses;
        Allowlist = allowlist;
        Files = files;
        NextAllowlistExpiry = nextAllowlistExpiry;
    }

    /// <summary>An intel set with nothing in it.</summary>
    public static PoolIntel Empty { get; } = IntelLoader.Load([], DateTimeOffset.UnixEpoch).Intel;

    public DomainMatcher Domains { get; }

    public AddressMatcher Addresses { get; }

    public IntelAllowlist Allowlist { get; }

    /// <summary>The files loaded, in load order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The earliest expiry among loaded allowlist entries: reload after that day to drop it.</summary>
    public DateOnly? NextAllowlistExpiry { get; }

    public int Count => Domains.Count + Addresses.Count;

    /// <summary>Loads <paramref name="directory"/> (absent: empty intel).</summary>
    /// <exception cref="RuleLoadException">Any file or line is bad; every problem is listed, nothing half-loaded is returned.</exception>
    public static PoolIntel LoadDirectory(string directory, DateTimeOffset now)
    {
        var result = IntelLoader.LoadDirectory(directory, now);
        if (result.Errors.Count > 0)
        {
            throw new RuleLoadException(result.Errors);
        }
        return result.Intel;
    }
}
