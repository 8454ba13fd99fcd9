using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Reporting;

/// <summary>What one events file held.</summary>
internal sealed class EventFileStats(string path)
{
    public string Path { get; } = path;
    /// <summary>Non-empty lines read.</summary>
    public long Lines { get; set; }
    /// <summary>PoolDetector alerts taken into the report (before duplicates of a flow were merged).</summary>
    public long Alerts { get; set; }
    /// <summary>Well-formed events that are not PoolDetector alerts: other EVE event types, other tools' alerts.</summary>
    public long Ignored { get; set; }
    /// <summary>Lines skipped because they are not a readable event.</summary>
    public long Broken { get; set; }
    /// <summary>Why the file could not be read (or could be read only in part), when that happened.</summary>
    public string? Error { get; set; }
}

/// <summary>
/// Reads EVE JSON lines, as the daemon's alert file (also rotated and gzip-compressed ones)
/// and <c>analyze --format jsonl</c> write them, one line at a time so a month of alerts never
/// has to fit in memory at once. A line that is not a readable event is skipped and named
/// (<c>FILE:LINE: problem</c>); events other than PoolDetector alerts are skipped silently,
/// because a shared eve.json also carries Suricata's flows, stats and alerts.
/// </summary>
internal static class EventReader
{
    /// <summary>
    /// Longer lines are skipped as broken without being held: an event is a few kilobytes,
    /// and a damaged file without newlines must not be read into memory whole.
    /// </summary>
    public const int MaxLineBytes = 1024 * 1024;

    private static readonly string[] EveTimeFormats =
    [
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFFzzz",
        "yyyy'-'MM'-'dd'T'HH':'mm':'sszzz",
    ];

    /// <summary>
    /// Reads one file: each event goes to <paramref name="onEvent"/>, each broken line's
    /// <c>LINE: problem</c> to <paramref name="onProblem"/>. A missing or unreadable file, or a
    /// damaged gzip stream, sets <see cref="EventFileStats.Error"/>; what was read before stays read.
    /// </summary>
    public static EventFileStats Read(string path, Action<ReportEvent> onEvent, Action<long, string> onProblem)
    {
        var stats = new EventFileStats(path);
        if (Directory.Exists(path))
        {
            stats.Error = "is a directory, not an events file";
            return stats;
        }
        if (!File.Exists(path))
        {
            stats.Error = "no such file";
            return stats;
        }
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            var gzipSize = GzipTrailerSize(file);
            using var input = gzipSize is null ? (Stream)file : new GZipStream(file, CompressionMode.Decompress);
            var read = ReadLines(input, stats, onEvent, onProblem);
            // .NET's GZipStream ends quietly where a compressed file was cut short; its trailer
            // (the uncompressed size, modulo 2^32) then does not match what came out.
            if (gzipSize is { } size && (uint)read != size)
            {
                stats.Error = "the gzip data ends early (its trailer does not match what was read): the file looks cut short, or is several gzip files joined; the lines before were read";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // InvalidDataException's own messages ("unsupported compression method") mislead about damage.
            stats.Error = e is InvalidDataException ? $"damaged gzip data after {stats.Lines} line(s)" : $"cannot be read: {e.Message}";
        }
        return stats;
    }

    /// <summary>
    /// By content, not by name (logrotate's <c>delaycompress</c> and hand-made copies name files
    /// freely): null for a plain file, else the uncompressed size its gzip trailer records.
    /// </summary>
    private static uint? GzipTrailerSize(FileStream file)
    {
        if (!file.CanSeek)
        {
            // A pipe (--events /dev/stdin) is read as it comes: plain text only.
            return null;
        }
        Span<byte> bytes = stackalloc byte[4];
        var read = file.ReadAtLeast(bytes[..2], 2, throwOnEndOfStream: false);
        uint? size = null;
        if (read == 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            // The smallest gzip file (header and trailer around an empty body) is 20 bytes.
            size = 0xffffffff;
            if (file.Length >= 20)
            {
                file.Position = file.Length - 4;
                file.ReadExactly(bytes);
                size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            }
        }
        file.Position = 0;
        return size;
    }

    /// <returns>The bytes read.</returns>
    private static long ReadLines(Stream input, EventFileStats stats, Action<ReportEvent> onEvent, Action<long, string> onProblem)
    {
        long total = 0;
        var buffer = new byte[64 * 1024];
        var line = new ArrayBufferWriter<byte>(4096);
        var overlong = false;
        long number = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            total += read;
            var span = buffer.AsSpan(0, read);
            while (true)
            {
                var newline = span.IndexOf((byte)'\n');
                var part = newline < 0 ? span : span[..newline];
                if (!overlong)
                {
                    if (line.WrittenCount + part.Length > MaxLineBytes)
                    {
                        overlong = true;
                        line.ResetWrittenCount();
                    }
                    else
                    {
                        line.Write(part);
                    }
                }
                if (newline < 0)
                {
                    break;
                }
                number++;
                EndLine(number, line, overlong, stats, onEvent, onProblem);
                line.ResetWrittenCount();
                overlong = false;
                span = span[(newline + 1)..];
            }
        }
        // The last line may lack its newline (a file being written, or cut short).
        if (line.WrittenCount > 0 || overlong)
        {
            number++;
            EndLine(number, line, overlong, stats, onEvent, onProblem);
        }
        return total;
    }

    private static void EndLine(long number, ArrayBufferWriter<byte> line, bool overlong, EventFileStats stats,
        Action<ReportEvent> onEvent, Action<long, string> onProblem)
    {
        if (overlong)
        {
            stats.Lines++;
            stats.Broken++;
            onProblem(number, $"line longer than {MaxLineBytes / 1024 / 1024} MiB, skipped");
            return;
        }
        var bytes = line.WrittenSpan;
        if (number == 1 && bytes.StartsWith("\xEF\xBB\xBF"u8))
        {
            bytes = bytes[3..];
        }
        bytes = bytes.Trim(" \t\r"u8);
        if (bytes.IsEmpty)
        {
            return;
        }
        stats.Lines++;
        string? problem;
        ReportEvent? parsed;
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            problem = TryParse(document.RootElement, stats.Path, number, out parsed);
        }
        catch (JsonException e)
        {
            problem = $"not valid JSON (at byte {e.BytePositionInLine + 1})";
            parsed = null;
        }
        if (problem is not null)
        {
            stats.Broken++;
            onProblem(number, problem);
        }
        else if (parsed is null)
        {
            stats.Ignored++;
        }
        else
        {
            stats.Alerts++;
            onEvent(parsed);
        }
    }

    /// <summary>
    /// The problem with the line, or null. <paramref name="parsed"/> is null (and no problem)
    /// for a well-formed event that is not a PoolDetector alert.
    /// </summary>
    internal static string? TryParse(JsonElement root, string file, long line, out ReportEvent? parsed)
    {
        parsed = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "not a JSON object";
        }
        if (!root.TryGetProperty("event_type", out var eventType) || eventType.ValueKind != JsonValueKind.String)
        {
            return "no event_type";
        }
        // Suricata's own alerts in a shared eve.json have no mining block: not ours to report.
        // An alert, and the daemon's follow-ups to it: evidence (the capture's hash) and flow_end
        // (the final counts). They are merged per flow.
        if (eventType.GetString() is not ("alert" or "evidence" or "flow_end") || !root.TryGetProperty("mining", out var mining) || mining.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (Time(root, "timestamp") is not { } timestamp)
        {
            return "timestamp missing or not an EVE time (2024-05-06T10:10:00.001440+0000)";
        }
        if (Address(root, "src_ip") is not { } source)
        {
            return "src_ip missing or not an IP address";
        }
        if (Address(root, "dest_ip") is not { } destination)
        {
            return "dest_ip missing or not an IP address";
        }
        var categoryName = String(mining, "category");
        if (categoryName is null || DetectionCategoryNames.FromWireName(categoryName) is not { } category)
        {
            return "mining.category missing or not mining, pool-contact or crypto-node";
        }
        if (ParseConfidence(String(mining, "confidence")) is not { } confidence)
        {
            return "mining.confidence missing or not low, medium or high";
        }

        var firstSeen = timestamp;
        var lastSeen = timestamp;
        long packets = 0;
        long bytes = 0;
        if (mining.TryGetProperty("flow", out var flow) && flow.ValueKind == JsonValueKind.Object)
        {
            firstSeen = Time(flow, "first_seen") ?? timestamp;
            lastSeen = Time(flow, "last_seen") ?? firstSeen;
            if (lastSeen < firstSeen)
            {
                return "mining.flow.last_seen is before first_seen";
            }
            packets = Number(flow, "pkts_toserver") + Number(flow, "pkts_toclient");
            bytes = Number(flow, "bytes_toserver") + Number(flow, "bytes_toclient");
        }

        string? mac = null, hostname = null, department = null, owner = null, contact = null;
        if (mining.TryGetProperty("host", out var host) && host.ValueKind == JsonValueKind.Object)
        {
            mac = String(host, "mac");
            hostname = String(host, "hostname");
            department = String(host, "department");
            owner = String(host, "owner");
            contact = String(host, "contact");
        }

        parsed = new ReportEvent
        {
            SourceFile = file,
            SourceLine = line,
            FlowId = Number(root, "flow_id"),
            Timestamp = timestamp,
            Source = source,
            SourcePort = (int)Math.Clamp(Number(root, "src_port"), 0, 65535),
            Destination = destination,
            DestinationPort = (int)Math.Clamp(Number(root, "dest_port"), 0, 65535),
            Protocol = String(root, "proto") ?? "",
            Vlans = Vlans(root),
            Category = category,
            Confidence = confidence,
            Dialect = String(mining, "dialect") ?? "",
            Agent = String(mining, "agent"),
            Worker = String(mining, "worker"),
            PoolHost = String(mining, "pool_host"),
            SharesSubmitted = Number(mining, "shares_submitted"),
            SharesAccepted = Number(mining, "shares_accepted"),
            FirstSeen = firstSeen,
            LastSeen = lastSeen,
            Packets = packets,
            Bytes = bytes,
            Mac = mac,
            Hostname = hostname,
            Department = department,
            Owner = owner,
            Contact = contact,
            EvidencePcap = String(mining, "pcap"),
            EvidenceSha256 = String(mining, "pcap_sha256"),
            PcapFilename = String(root, "pcap_filename"),
        };
        return null;
    }

    /// <summary>
    /// EVE's time, <c>2024-05-06T10:10:00.001440+0000</c> (Suricata writes the offset without a
    /// colon, which .NET's <c>zzz</c> wants); <c>+00:00</c> and <c>Z</c> are accepted too.
    /// </summary>
    internal static DateTimeOffset? ParseEveTime(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (text.EndsWith('Z'))
        {
            text = string.Concat(text.AsSpan(0, text.Length - 1), "+00:00");
        }
        else if (text.Length > 5 && text[^5] is '+' or '-' && char.IsAsciiDigit(text[^4]) && char.IsAsciiDigit(text[^1]) && text[^3] != ':')
        {
            text = string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2));
        }
        return DateTimeOffset.TryParseExact(text, EveTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : null;
    }

    private static Confidence? ParseConfidence(string? name) => name switch
    {
        "low" => Confidence.Low,
        "medium" => Confidence.Medium,
        "high" => Confidence.High,
        _ => null,
    };

    private static DateTimeOffset? Time(JsonElement element, string name) => ParseEveTime(String(element, name));

    private static IPAddress? Address(JsonElement element, string name) =>
        IPAddress.TryParse(String(element, name), out var address) ? address : null;

    /// <summary>A string property; null when absent, null, empty or not a string.</summary>
    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    /// <summary>A non-negative integer property; 0 when absent or not one (counts are never negative).</summary>
    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number > 0
            ? number
            : 0;

    private static string Vlans(JsonElement root)
    {
        if (!root.TryGetProperty("vlan", out var vlan) || vlan.ValueKind != JsonValueKind.Array)
        {
            return "";
        }
        var ids = new List<string>();
        foreach (var id in vlan.EnumerateArray())
        {
            if (id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var number))
            {
                ids.Add(number.ToString(CultureInfo.InvariantCulture));
            }
        }
        return string.Join(';', ids);
    }
}
