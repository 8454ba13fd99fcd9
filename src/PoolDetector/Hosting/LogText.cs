using System.Globalization;
using System.Text;

namespace PoolDetector.Hosting;

/// <summary>Makes traffic-derived text safe for a log line.</summary>
internal static class LogText
{
    private const int MaxLength = 200;

    /// <summary>
    /// Printable ASCII passes; everything else (newlines, escape sequences, non-ASCII, the
    /// backslash itself) becomes <c>\xNN</c> or <c>\uNNNN</c>, so a worker name can neither
    /// forge a journal line nor drive a terminal. Quoted, cut at 200 characters; <c>-</c> for none.
    /// </summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return "-";
        }
        var builder = new StringBuilder(Math.Min(text.Length, MaxLength) + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            if (builder.Length > MaxLength)
            {
                builder.Append("...");
                break;
            }
            if (c is >= ' ' and <= '~' and not '\\' and not '"')
            {
                builder.Append(c);
            }
            else if (c < 0x100)
            {
                builder.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }
        builder.Append('"');
        return builder.ToString();
    }
}
