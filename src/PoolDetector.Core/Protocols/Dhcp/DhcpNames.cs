using System.Text;
using System.Text.Unicode;

namespace PoolDetector.Core.Protocols.Dhcp;

/// <summary>
/// Turns the names a DHCP message carries into text for the event. Names come off the wire and
/// may be anything: only valid UTF-8 without control characters is kept (the outputs escape
/// the rest of what could harm them), and only when a lease is recorded, so the per-packet
/// path allocates nothing.
/// </summary>
public static class DhcpNames
{
    /// <summary>RFC 1035's bound on a name, also option 12's practical one.</summary>
    public const int MaxLength = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// The name a message gives its client: the FQDN (option 81/39) when it has one, as the more
    /// specific name (what DNS was told), else option 12. Null when neither is usable.
    /// </summary>
    public static string? Of(in DhcpMessage message) =>
        (message.Fqdn.IsEmpty ? null : message.FqdnIsWireFormat ? FromWireFormat(message.Fqdn) : FromText(message.Fqdn))
        ?? (message.HostName.IsEmpty ? null : FromText(message.HostName));

    /// <summary>Option 12 and the deprecated ASCII form of option 81: text, often NUL-terminated.</summary>
    public static string? FromText(ReadOnlySpan<byte> raw)
    {
        var end = raw.Length;
        while (end > 0 && raw[end - 1] == 0)
        {
            end--;
        }
        raw = raw[..end];
        if (raw.IsEmpty || raw.Length > MaxLength || raw.IndexOf((byte)0) >= 0 || !Utf8.IsValid(raw))
        {
            return null;
        }
        var text = StrictUtf8.GetString(raw).Trim();
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return null;
            }
        }
        return text.Length == 0 ? null : text;
    }

    /// <summary>
    /// DNS wire format without compression (RFC 4702/4704): length-prefixed labels, ending in a
    /// zero byte for a fully qualified name or just ending for a partial one (a bare host name).
    /// </summary>
    public static string? FromWireFormat(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > MaxLength + 1)
        {
            return null;
        }
        Span<byte> dotted = stackalloc byte[MaxLength + 1];
        var written = 0;
        var i = 0;
        while (i < raw.Length)
        {
            var length = raw[i];
            if (length == 0)
            {
                break;
            }
            // 0xC0 would be a compression pointer, which these options forbid; 64+ is not a label.
            if (length > 63 || i + 1 + length > raw.Length)
            {
                return null;
            }
            if (written > 0)
            {
                dotted[written++] = (byte)'.';
            }
            var label = raw.Slice(i + 1, length);
            if (label.IndexOf((byte)'.') >= 0 || written + length > MaxLength)
            {
                return null;
            }
            label.CopyTo(dotted[written..]);
            written += length;
            i += 1 + length;
        }
        return written == 0 ? null : FromText(dotted[..written]);
    }
}
