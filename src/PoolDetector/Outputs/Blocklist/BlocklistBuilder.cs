using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs.Blocklist;

/// <summary>
/// One offender: an internal host with a mining flow or pool contact of medium confidence.
/// <paramref name="ExpiresMicros"/> is null while one of its mining flows is still open (it
/// cannot expire while it mines), else <c>BlocklistTtlMinutes</c> after its last activity.
/// </summary>
internal sealed record BlocklistEntry(
    IpAddress Address,
    long FirstSeenMicros,
    long LastSeenMicros,
    long? ExpiresMicros,
    DetectionCategory Category,
    string Dialect,
    IReadOnlyList<string> Pools);

/// <summary>The block list at one moment, rendered once for every reader (HTTP and file).</summary>
internal sealed class BlocklistSnapshot
{
    public static readonly BlocklistSnapshot Empty = new([]);

    public BlocklistSnapshot(IReadOnlyList<BlocklistEntry> entries)
    {
        Entries = entries;
        Text = BlocklistBuilder.RenderText(entries);
        Json = BlocklistBuilder.RenderJson(entries);
    }

    /// <summary>Sorted by address, IPv4 first.</summary>
    public IReadOnlyList<BlocklistEntry> Entries { get; }

    /// <summary><c>blocklist.txt</c>: one address per line.</summary>
    public byte[] Text { get; }

    /// <summary><c>blocklist.json</c>.</summary>
    public byte[] Json { get; }
}

/// <summary>
/// The enforcement hand-off: which internal hosts a firewall should cut off now. Built from
/// the detection aggregates (the same hosts <c>pooldetector_mining_hosts</c> counts, but kept
/// <c>BlocklistTtlMinutes</c> instead of the mining-host window, so a host that pauses is not
/// let back in at once) and from entries carried over from the previous run's file.
/// </summary>
internal static class BlocklistBuilder
{
    /// <summary>Pools listed per host; a host talking to more is blocked all the same.</summary>
    public const int MaxPoolsPerHost = 32;

    /// <summary>
    /// The entries in force at <paramref name="nowMicros"/>: one per host, from its offending
    /// aggregates and what <paramref name="carried"/> says of it, dropped once expired.
    /// </summary>
    public static List<BlocklistEntry> Build(IReadOnlyList<MiningAggregate> offending, IReadOnlyList<BlocklistEntry> carried, long nowMicros, long ttlMicros)
    {
        ArgumentNullException.ThrowIfNull(offending);
        ArgumentNullException.ThrowIfNull(carried);
        var hosts = new Dictionary<IpAddress, Host>();
        // Most recently seen first: a host's dialect is that of its latest activity.
        foreach (var aggregate in offending)
        {
            var key = aggregate.Key;
            if (!hosts.TryGetValue(key.Miner, out var host))
            {
                host = new Host(aggregate.FirstSeenMicros, aggregate.LastSeenMicros, aggregate.Category, key.Dialect);
                hosts[key.Miner] = host;
            }
            host.FirstSeen = Math.Min(host.FirstSeen, aggregate.FirstSeenMicros);
            host.LastSeen = Math.Max(host.LastSeen, aggregate.LastSeenMicros);
            host.Open |= aggregate.OpenFlows > 0;
            if (aggregate.Category == DetectionCategory.Mining && host.Category != DetectionCategory.Mining)
            {
                host.Category = DetectionCategory.Mining;
                host.Dialect = key.Dialect;
            }
            host.AddPool(Endpoint(key.Pool, key.PoolPort));
        }

        var before = new Dictionary<IpAddress, BlocklistEntry>(carried.Count);
        foreach (var previous in carried)
        {
            before[previous.Address] = previous;
        }
        var entries = new List<BlocklistEntry>(hosts.Count + carried.Count);
        foreach (var (address, host) in hosts)
        {
            long? expires = host.Open ? null : host.LastSeen + ttlMicros;
            if (before.TryGetValue(address, out var previous))
            {
                host.FirstSeen = Math.Min(host.FirstSeen, previous.FirstSeenMicros);
                foreach (var pool in previous.Pools)
                {
                    host.AddPool(pool);
                }
                // What the last run decided stands: a restart never shortens a block.
                if (expires is { } mine && previous.ExpiresMicros is { } theirs && theirs > mine)
                {
                    expires = theirs;
                }
            }
            if (expires is { } at && at <= nowMicros)
            {
                continue;
            }
            host.Pools.Sort(StringComparer.Ordinal);
            entries.Add(new BlocklistEntry(address, host.FirstSeen, host.LastSeen, expires, host.Category, host.Dialect, host.Pools));
        }
        foreach (var previous in carried)
        {
            if (!hosts.ContainsKey(previous.Address) && previous.ExpiresMicros is { } at && at > nowMicros)
            {
                entries.Add(previous);
            }
        }
        entries.Sort((a, b) => a.Address.CompareTo(b.Address));
        return entries;
    }

    /// <summary>One address per line, sorted: what <c>ipset restore</c> loops, nftables sets and pf tables read.</summary>
    public static byte[] RenderText(IReadOnlyList<BlocklistEntry> entries)
    {
        var text = new StringBuilder(entries.Count * 16);
        foreach (var entry in entries)
        {
            text.Append(entry.Address.ToString()).Append('\n');
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>
    /// <c>[{"ip", "first_seen", "last_seen", "expires", "category", "dialect", "pools"}]</c>, times
    /// in RFC 3339 UTC (<c>2024-05-06T10:10:00Z</c>), <c>expires</c> null while the host mines.
    /// </summary>
    public static byte[] RenderJson(IReadOnlyList<BlocklistEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (entries.Count * 256));
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EveJson.WriterOptions.Encoder, Indented = true }))
        {
            json.WriteStartArray();
            foreach (var entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("ip"u8, entry.Address.ToString());
                json.WriteString("first_seen"u8, FormatTime(entry.FirstSeenMicros));
                json.WriteString("last_seen"u8, FormatTime(entry.LastSeenMicros));
                if (entry.ExpiresMicros is { } expires)
                {
                    json.WriteString("expires"u8, FormatTime(expires));
                }
                else
                {
                    json.WriteNull("expires"u8);
                }
                json.WriteString("category"u8, entry.Category.ToWireName());
                json.WriteString("dialect"u8, entry.Dialect);
                json.WriteStartArray("pools"u8);
                foreach (var pool in entry.Pools)
                {
                    json.WriteStringValue(pool);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a <c>blocklist.json</c> this daemon wrote (the previous run's), so a restart does
    /// not lift blocks. Entries that do not parse are skipped and named in <paramref name="problems"/>.
    /// </summary>
    public static List<BlocklistEntry> ParseJson(ReadOnlySpan<byte> json, List<string> problems)
    {
        var entries = new List<BlocklistEntry>();
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            problems.Add(e.Message);
            return entries;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                problems.Add("not a JSON array");
                return entries;
            }
            var index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (TryReadEntry(item, out var entry))
                {
                    entries.Add(entry);
                }
                else
                {
                    problems.Add($"entry {index.ToString(CultureInfo.InvariantCulture)} is not a block list entry");
                }
                index++;
            }
        }
        return entries;
    }

    public static string FormatTime(long unixMicros) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(unixMicros / 1000, 0, 253_402_300_799_000L))
            .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool TryReadEntry(JsonElement item, out BlocklistEntry entry)
    {
        entry = null!;
        if (item.ValueKind != JsonValueKind.Object
            || !TryString(item, "ip", out var ip) || !IPAddress.TryParse(ip, out var address)
            || !TryTime(item, "first_seen", out var first) || !TryTime(item, "last_seen", out var last)
            || !item.TryGetProperty("expires", out var expiresElement)
            || !TryString(item, "category", out var categoryText) || !TryCategory(categoryText, out var category)
            || !TryString(item, "dialect", out var dialect)
            || !item.TryGetProperty("pools", out var poolsElement) || poolsElement.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        long? expires = null;
        if (expiresElement.ValueKind != JsonValueKind.Null)
        {
            if (!TryTime(item, "expires", out var at))
            {
                return false;
            }
            expires = at;
        }
        var pools = new List<string>();
        foreach (var pool in poolsElement.EnumerateArray())
        {
            if (pool.ValueKind == JsonValueKind.String && pools.Count < MaxPoolsPerHost)
            {
                pools.Add(pool.GetString()!);
            }
        }
        entry = new BlocklistEntry(IpAddress.FromIPAddress(address), first, last, expires, category, dialect, pools);
        return true;
    }

    private static bool TryString(JsonElement item, string name, out string value)
    {
        value = "";
        if (!item.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        value = element.GetString()!;
        return true;
    }

    private static bool TryTime(JsonElement item, string name, out long unixMicros)
    {
        unixMicros = 0;
        if (!TryString(item, name, out var text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return false;
        }
        unixMicros = time.ToUnixTimeMilliseconds() * 1000;
        return true;
    }

    private static bool TryCategory(string text, out DetectionCategory category)
    {
        foreach (var value in (ReadOnlySpan<DetectionCategory>)[DetectionCategory.Mining, DetectionCategory.PoolContact])
        {
            if (value.ToWireName() == text)
            {
                category = value;
                return true;
            }
        }
        category = default;
        return false;
    }

    private static string Endpoint(IpAddress address, ushort port) =>
        address.IsV4 ? $"{address}:{port.ToString(CultureInfo.InvariantCulture)}" : $"[{address}]:{port.ToString(CultureInfo.InvariantCulture)}";

    private sealed class Host(long firstSeen, long lastSeen, DetectionCategory category, string dialect)
    {
        public long FirstSeen { get; set; } = firstSeen;
        public long LastSeen { get; set; } = lastSeen;
        public DetectionCategory Category { get; set; } = category;
        public string Dialect { get; set; } = dialect;
        public bool Open { get; set; }
        public List<string> Pools { get; } = [];

        public void AddPool(string pool)
        {
            if (Pools.Count < MaxPoolsPerHost && !Pools.Contains(pool))
            {
                Pools.Add(pool);
            }
        }
    }
}
