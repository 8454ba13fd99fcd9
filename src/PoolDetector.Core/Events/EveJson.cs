using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Events;

/// <summary>
/// The kinds of line PoolDetector writes, all with the same fields. Only <see cref="Alert"/> is
/// an alert: whatever counts alerts (a SIEM, a dashboard) counts each flow once.
/// </summary>
public enum EveEventType
{
    /// <summary><c>alert</c>: once per flow, at the verdict (the daemon) or at the flow's end (<c>analyze</c>).</summary>
    Alert,

    /// <summary><c>evidence</c>: the daemon's alert again once its evidence capture is complete, <c>pcap_sha256</c> set.</summary>
    Evidence,

    /// <summary><c>flow_end</c>: the daemon's alerted flow at its end, with its final counts and last packet time.</summary>
    FlowEnd,
}

/// <summary>
/// Writes detections as Suricata EVE <c>alert</c> events (DESIGN.md, "Contracts other
/// people depend on"), one JSON object per detection, field order as in the contract so
/// golden files and human readers see the same shape every time.
/// </summary>
public static class EveJson
{
    /// <summary>Suricata's classtype text for <c>coin-mining</c>, so SIEM dashboards group our alerts with Suricata's own.</summary>
    public const string AlertCategory = "Crypto Currency Mining Activity Detected";

    /// <summary>
    /// Suricata's classtype text for <c>policy-violation</c>, the class Emerging Threats files
    /// its Bitcoin/Monero node rules under: node traffic is not mining.
    /// </summary>
    public const string NodeAlertCategory = "Potential Corporate Privacy Violation";

    /// <summary>
    /// Traffic-derived strings (worker names, user agents, host names) can contain anything;
    /// the default encoder escapes every control and non-ASCII character, so an event is
    /// always one line of plain ASCII that no log pipeline or terminal can misread.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.Default,
        Indented = false,
    };

    /// <summary>Writes one alert object. <paramref name="pcapFilename"/>: the capture the event came from, when offline.</summary>
    public static void WriteAlert(Utf8JsonWriter writer, MiningDetection detection, string? pcapFilename = null) =>
        Write(writer, detection, EveEventType.Alert, pcapFilename);

    /// <summary>
    /// Writes one event of <paramref name="type"/>. The daemon's follow-ups to an alert (its
    /// evidence, its flow's end) keep the alert's flow_id, community_id and timestamp, so they join
    /// on those; <paramref name="pcapFilename"/>: the capture the event came from, when offline.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, MiningDetection detection, EveEventType type, string? pcapFilename = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(detection);
        var d = detection;

        writer.WriteStartObject();
        WriteTimestamp(writer, "timestamp"u8, d.TimestampMicros);
        writer.WriteNumber("flow_id"u8, d.FlowId);
        writer.WriteString("community_id"u8, Verbatim(CommunityId.Compute(d.MinerAddress, d.MinerPort, d.PoolAddress, d.PoolPort, (byte)d.Transport)));
        writer.WriteString("event_type"u8, type switch
        {
            EveEventType.Evidence => "evidence"u8,
            EveEventType.FlowEnd => "flow_end"u8,
            _ => "alert"u8,
        });
        writer.WriteString("src_ip"u8, d.MinerAddress.ToString());
        writer.WriteNumber("src_port"u8, d.MinerPort);
        writer.WriteString("dest_ip"u8, d.PoolAddress.ToString());
        writer.WriteNumber("dest_port"u8, d.PoolPort);
        writer.WriteString("proto"u8, d.Transport == TransportProtocol.Tcp ? "TCP"u8 : "UDP"u8);
        if (d.Vlans.Count > 0)
        {
            writer.WriteStartArray("vlan"u8);
            foreach (var vlan in d.Vlans)
            {
                writer.WriteNumberValue(vlan);
            }
            writer.WriteEndArray();
        }
        writer.WriteString("app_proto"u8, d.AppProtocol);

        writer.WriteStartObject("alert"u8);
        writer.WriteString("action"u8, "allowed"u8);
        writer.WriteNumber("gid"u8, 1);
        writer.WriteNumber("signature_id"u8, d.SignatureId);
        writer.WriteNumber("rev"u8, d.SignatureRevision);
        writer.WriteString("signature"u8, d.Signature);
        writer.WriteString("category"u8, d.Category == DetectionCategory.CryptoNode ? NodeAlertCategory : AlertCategory);
        writer.WriteNumber("severity"u8, d.Severity);
        writer.WriteEndObject();

        writer.WriteStartObject("mining"u8);
        writer.WriteString("category"u8, d.Category.ToWireName());
        writer.WriteString("dialect"u8, d.Dialect);
        writer.WriteString("confidence"u8, d.Confidence.ToWireName());
        writer.WriteStartArray("evidence"u8);
        foreach (var item in d.Evidence)
        {
            writer.WriteStringValue(item);
        }
        writer.WriteEndArray();
        WriteNullable(writer, "agent"u8, d.Agent);
        WriteNullable(writer, "worker"u8, d.Worker);
        WriteNullable(writer, "algo"u8, d.Algorithm);
        WriteNullable(writer, "pool_host"u8, d.PoolHost);
        writer.WriteNumber("shares_submitted"u8, d.SharesSubmitted);
        writer.WriteNumber("shares_accepted"u8, d.SharesAccepted);
        writer.WriteStartObject("flow"u8);
        WriteTimestamp(writer, "first_seen"u8, d.FirstSeenMicros);
        WriteTimestamp(writer, "last_seen"u8, d.LastSeenMicros);
        writer.WriteNumber("pkts_toserver"u8, d.PacketsToServer);
        writer.WriteNumber("pkts_toclient"u8, d.PacketsToClient);
        writer.WriteNumber("bytes_toserver"u8, d.BytesToServer);
        writer.WriteNumber("bytes_toclient"u8, d.BytesToClient);
        writer.WriteEndObject();
        // Attribution and evidence only when known, so events without them keep the contract's shape.
        if (d.Host is { } host)
        {
            writer.WriteStartObject("host"u8);
            WriteNullable(writer, "mac"u8, host.Mac);
            WriteNullable(writer, "hostname"u8, host.Hostname);
            WriteNullable(writer, "department"u8, host.Department);
            WriteNullable(writer, "owner"u8, host.Owner);
            WriteNullable(writer, "contact"u8, host.Contact);
            writer.WriteEndObject();
        }
        if (d.EvidencePcap is not null)
        {
            writer.WriteString("pcap"u8, d.EvidencePcap);
            WriteNullable(writer, "pcap_sha256"u8, d.EvidenceSha256);
        }
        writer.WriteEndObject();

        // Not in the contract's example: Suricata adds it last when reading files, and
        // putting it last keeps the contract's field order intact for everything else.
        if (pcapFilename is not null)
        {
            writer.WriteString("pcap_filename"u8, pcapFilename);
        }
        writer.WriteEndObject();
    }

    /// <summary>The alert as one line of text, without the newline.</summary>
    public static string ToJson(MiningDetection detection, string? pcapFilename = null) =>
        ToJson(detection, EveEventType.Alert, pcapFilename);

    /// <summary>The event as one line of text, without the newline.</summary>
    public static string ToJson(MiningDetection detection, EveEventType type, string? pcapFilename = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, detection, type, pcapFilename);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>EVE's timestamp shape, <c>2021-09-14T08:00:01.123456+0000</c>, always UTC.</summary>
    public static string FormatTimestamp(long unixMicros)
    {
        Span<char> text = stackalloc char[TimestampLength];
        return new string(text[..FormatTimestamp(unixMicros, text)]);
    }

    private const int TimestampLength = 31;

    private static readonly long MaxUnixMicros = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    private static int FormatTimestamp(long unixMicros, Span<char> destination)
    {
        // Clamped so a garbage timestamp from a damaged capture prints a wrong date, never throws.
        var micros = Math.Clamp(unixMicros, 0, MaxUnixMicros);
        var time = DateTime.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
        time.TryFormat(destination, out var written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'+0000'", CultureInfo.InvariantCulture);
        return written;
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, ReadOnlySpan<byte> name, long unixMicros)
    {
        Span<char> text = stackalloc char[TimestampLength];
        writer.WriteString(name, Verbatim(text[..FormatTimestamp(unixMicros, text)]));
    }

    /// <summary>
    /// The default encoder also escapes HTML-sensitive characters, which would turn the
    /// <c>+</c> in "+0000" and in base64 community ids into <c>\u002B</c>: valid JSON, but not
    /// the text Suricata writes and analysts grep for. Only for strings we generate from a
    /// fixed ASCII alphabet (digits, base64, punctuation), never for traffic-derived text.
    /// </summary>
    private static JsonEncodedText Verbatim(ReadOnlySpan<char> generatedAscii) =>
        JsonEncodedText.Encode(generatedAscii, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    private static void WriteNullable(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
