using System.Globalization;
using System.Text;

namespace PoolDetector.Outputs.Syslog;

/// <summary>
/// RFC 5424 messages: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME pooldetector PROCID alert - MSG</c>, MSG the
/// EVE JSON line. The JSON is plain ASCII (the EVE writer escapes everything else), so MSG is
/// RFC 5424's MSG-ANY without a BOM and a receiver stores exactly the EVE line. No structured
/// data (<c>-</c>): an SD-ID of our own would need an IANA enterprise number, and the JSON
/// carries everything anyway.
/// </summary>
internal static class SyslogMessage
{
    public const string AppName = "pooldetector";
    public const string MessageId = "alert";

    /// <summary>RFC 5424's facility codes by their usual names (index = code); 12-15 have no common name.</summary>
    private static readonly string?[] FacilityNames =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        null, null, null, null,
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>What <c>SyslogFacility</c> accepts, for error messages.</summary>
    public static string FacilityChoices => string.Join(", ", FacilityNames.Where(n => n is not null)) + ", or 0-23";

    /// <summary>A facility name (case-insensitive) or number 0-23; -1 when it is neither.</summary>
    public static int ParseFacility(string text)
    {
        var trimmed = text.Trim();
        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return code is >= 0 and <= 23 ? code : -1;
        }
        for (var i = 0; i < FacilityNames.Length; i++)
        {
            if (string.Equals(FacilityNames[i], trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// The syslog severity for an EVE alert severity (1 most severe, as Suricata's):
    /// 1 (mining) error, 2 (pool contact) warning, 3 (node traffic) notice, anything else
    /// informational. Mining is a policy violation to act on, not a system failure: nothing
    /// above error.
    /// </summary>
    public static int Severity(int eveSeverity) => eveSeverity switch
    {
        <= 1 => 3,
        2 => 4,
        3 => 5,
        _ => 6,
    };

    /// <summary>RFC 5424's HOSTNAME: printable ASCII without spaces, at most 255, else the NILVALUE.</summary>
    public static string HostName(string name)
    {
        var text = new StringBuilder(Math.Min(name.Length, 255));
        foreach (var c in name)
        {
            if (c is > ' ' and <= '~' && text.Length < 255)
            {
                text.Append(c);
            }
        }
        return text.Length == 0 ? "-" : text.ToString();
    }

    /// <summary>
    /// The message's bytes, at most <paramref name="maxBytes"/>: a longer MSG is cut
    /// (<paramref name="truncated"/>). With <paramref name="octetCounting"/> the RFC 6587 frame
    /// for TCP, <c>LENGTH SP MESSAGE</c>, the limit applying to the message.
    /// </summary>
    public static byte[] Format(QueuedAlert alert, int facility, string hostName, int processId, int maxBytes, bool octetCounting, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var header = string.Create(CultureInfo.InvariantCulture,
            $"<{(facility * 8) + Severity(alert.Severity)}>1 {Timestamp(alert.TimestampMicros)} {hostName} {AppName} {processId} {MessageId} - ");
        var headerLength = Encoding.ASCII.GetByteCount(header);
        var messageLength = Encoding.UTF8.GetByteCount(alert.Json);
        // Validation keeps maxBytes above any header (480 and more; a header is at most about 330).
        var room = Math.Max(0, maxBytes - headerLength);
        truncated = messageLength > room;
        var kept = Math.Min(messageLength, room);
        var length = headerLength + kept;
        var prefix = octetCounting ? length.ToString(CultureInfo.InvariantCulture) + " " : "";
        var bytes = new byte[prefix.Length + length];
        var at = Encoding.ASCII.GetBytes(prefix, bytes);
        at += Encoding.ASCII.GetBytes(header, bytes.AsSpan(at));
        if (truncated)
        {
            var message = Encoding.UTF8.GetBytes(alert.Json);
            message.AsSpan(0, kept).CopyTo(bytes.AsSpan(at));
        }
        else
        {
            Encoding.UTF8.GetBytes(alert.Json, bytes.AsSpan(at));
        }
        return bytes;
    }

    /// <summary>RFC 5424's TIMESTAMP in UTC with microseconds; the NILVALUE for a time no calendar holds.</summary>
    public static string Timestamp(long unixMicros)
    {
        var max = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        if (unixMicros <= 0 || unixMicros >= max)
        {
            return "-";
        }
        return DateTime.UnixEpoch.AddTicks(unixMicros * TimeSpan.TicksPerMicrosecond)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }
}
