using System.Runtime.InteropServices;

namespace PoolDetector.Core.Intel;

/// <summary>
/// DNS names against listed domains. A <c>DOMAIN</c> entry matches the name and every name
/// under it on label boundaries (<c>eu.pool.example.com</c> matches <c>pool.example.com</c>,
/// <c>notpool.example.com</c> does not); a <c>HOST</c> entry matches the name only.
/// Case-insensitive; one trailing dot ignored; IDN names are compared as given (punycode
/// as punycode). Look-ups walk the name's label suffixes through a span-keyed hash set, so
/// they never allocate: at most one probe per label.
/// </summary>
public sealed class DomainMatcher
{
    private const int MaxNameLength = 253;

    private readonly Dictionary<string, IntelEntry> _suffix = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IntelEntry> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IntelEntry>.AlternateLookup<ReadOnlySpan<char>> _suffixLookup;
    private readonly Dictionary<string, IntelEntry>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;

    internal DomainMatcher()
    {
        _suffixLookup = _suffix.GetAlternateLookup<ReadOnlySpan<char>>();
        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of listed names (suffix and exact).</summary>
    public int Count => _suffix.Count + _exact.Count;

    /// <summary>Finds the most specific entry for <paramref name="name"/>.</summary>
    public bool TryMatch(ReadOnlySpan<char> name, out IntelMatch match)
    {
        if (name.Length > 0 && name[^1] == '.')
        {
            name = name[..^1];
        }
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            match = default;
            return false;
        }
        if (_exactLookup.TryGetValue(name, out var key, out var entry) || _suffixLookup.TryGetValue(name, out key, out entry))
        {
            match = new IntelMatch(key, entry);
            return true;
        }
        var rest = name;
        while (true)
        {
            var dot = rest.IndexOf('.');
            if (dot < 0)
            {
                break;
            }
            rest = rest[(dot + 1)..];
            if (_suffixLookup.TryGetValue(rest, out key, out entry))
            {
                match = new IntelMatch(key, entry);
                return true;
            }
        }
        match = default;
        return false;
    }

    public bool Matches(ReadOnlySpan<char> name) => TryMatch(name, out _);

    /// <summary>Adds a name; a duplicate keeps the strong entry if either is strong, else the first.</summary>
    internal void Add(string name, bool exactOnly, IntelEntry entry)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(exactOnly ? _exact : _suffix, name, out var existed);
        if (!existed || (!slot!.IsStrong && entry.IsStrong))
        {
            slot = entry;
        }
    }

    /// <summary>
    /// Normalises a listed name: trims one trailing dot and a leading <c>*.</c>, lower-cases
    /// ASCII, and checks it is a multi-label DNS name. Returns the problem, or null.
    /// </summary>
    internal static string? Normalize(ReadOnlySpan<char> text, out string name)
    {
        name = "";
        text = text.Trim();
        if (text.StartsWith("*."))
        {
            text = text[2..];
        }
        if (text.Length > 0 && text[^1] == '.')
        {
            text = text[..^1];
        }
        if (text.IsEmpty)
        {
            return "empty domain name";
        }
        if (text.Length > MaxNameLength)
        {
            return $"domain name longer than {MaxNameLength} characters";
        }
        var labels = 0;
        var labelLength = 0;
        var allDigits = true;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return $"empty label in domain name '{text}'";
                }
                labels++;
                labelLength = 0;
                continue;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_' || c > 127))
            {
                return $"character '{c}' not allowed in domain name '{text}'";
            }
            allDigits &= char.IsAsciiDigit(c);
            if (++labelLength > 63)
            {
                return $"label longer than 63 characters in '{text}'";
            }
        }
        if (labelLength == 0)
        {
            return $"empty label in domain name '{text}'";
        }
        labels++;
        if (labels < 2)
        {
            return $"single-label name '{text}' would match a whole top-level domain";
        }
        if (allDigits)
        {
            return $"'{text}' looks like an address; use ADDR";
        }
        if (text.ContainsAnyInRange('A', 'Z'))
        {
            Span<char> lower = stackalloc char[text.Length];
            text.ToLowerInvariant(lower);
            name = lower.ToString();
        }
        else
        {
            name = text.ToString();
        }
        return null;
    }
}
