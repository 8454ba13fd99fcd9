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
        while (end < rest.Length && end < MaxUrlBytes && IsAuthorityByte(rest[end]))
        {
            end++;
        }
        var authority = rest[..end];
        // Credentials (user:password@) are not part of the pool's address.
        var at = authority.LastIndexOf((byte)'@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }
        var colon = authority.LastIndexOf((byte)':');
        var hostBytes = colon > 0 ? authority[..colon] : authority;
        if (hostBytes.IsEmpty || hostBytes.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0)
        {
            return false;
        }
        var port = colon > 0 ? authority[(colon + 1)..] : default;
        if (port.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || port.Length > 5)
        {
            return false;
        }
        url = Encoding.ASCII.GetString(scheme) + "://" + Encoding.ASCII.GetString(authority);
        var name = Encoding.ASCII.GetString(hostBytes).Trim('[', ']');
        host = System.Net.IPAddress.TryParse(name, out _) ? null : name;
        return true;
    }

    private static bool IsAuthorityByte(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)':' or (byte)'@' or (byte)'_' or (byte)'[' or (byte)']' or (byte)'%';
}
