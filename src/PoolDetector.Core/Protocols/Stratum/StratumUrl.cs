using System.Text;

namespace PoolDetector.Core.Protocols.Stratum;

/// <summary>
/// Reads a pool URL such as <c>stratum+tcp://pool.example.com:3333</c> (schemes
/// <c>stratum+tcp</c>, <c>stratum+ssl</c>, <c>stratum+tls</c>, <c>stratum2+tcp</c>, ...) from the
/// bytes where <c>stratum</c> starts.
/// </summary>
public static class StratumUrl
{
    private const int MaxUrlBytes = 300;

    public static bool TryRead(ReadOnlySpan<byte> text, out string url, out string? host)
    {
        url = "";
        host = null;
        var separator = text[..Math.Min(text.Length, 24)].IndexOf("://"u8);
        if (separator < 0 || !text.StartsWith("stratum"u8))
        {
            return false;
        }
        var scheme = text[..separator];
        foreach (var b in scheme)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b == '+'))
            {
                return false;
            }
        }
        var rest = text[(separator + 3)..];
        var end = 0;
        while (end < rest.Length && IsAuthorityByte(rest[end]))
        {
            if (++end > MaxUrlBytes)
            {
                // Longer than any pool's address: refused rather than cut, which would name another host.
                return false;
            }
        }
        var authority = rest[..end];
        // Credentials (user:password@) are not part of the pool's address.
        var at = authority.LastIndexOf((byte)'@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }
        ReadOnlySpan<byte> hostBytes;
        ReadOnlySpan<byte> after;
        if (!authority.IsEmpty && authority[0] == (byte)'[')
        {
            // An IPv6 literal: its colons are not the port's.
            var close = authority.IndexOf((byte)']');
            if (close < 0)
            {
                return false;
            }
            hostBytes = authority[1..close];
            after = authority[(close + 1)..];
        }
        else
        {
            var colon = authority.LastIndexOf((byte)':');
            hostBytes = colon >= 0 ? authority[..colon] : authority;
            after = colon >= 0 ? authority[colon..] : default;
            if (hostBytes.IndexOfAny((byte)'[', (byte)']') >= 0)
            {
                return false;
            }
        }
        if (hostBytes.IsEmpty || !IsPort(after))
        {
            return false;
        }
        url = Encoding.ASCII.GetString(scheme) + "://" + Encoding.ASCII.GetString(authority);
        var name = Encoding.ASCII.GetString(hostBytes);
        host = System.Net.IPAddress.TryParse(name, out _) ? null : name;
        return true;
    }

    /// <summary>Nothing, or ':' and a port number from 1 to 65535.</summary>
    private static bool IsPort(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return true;
        }
        var digits = text[1..];
        if (text[0] != (byte)':' || digits.IsEmpty || digits.Length > 5 || digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return false;
        }
        var port = 0;
        foreach (var digit in digits)
        {
            port = (port * 10) + (digit - '0');
        }
        return port is > 0 and <= ushort.MaxValue;
    }

    private static bool IsAuthorityByte(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)':' or (byte)'@' or (byte)'_' or (byte)'[' or (byte)']' or (byte)'%';
}
