using System.Globalization;
using System.Net;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Intel;

namespace PoolDetector.Core.Detection.Memory;

/// <summary>A pool endpoint this sensor saw serve a confirmed mining session.</summary>
public sealed record LearnedEndpoint(
    IpAddress Address,
    ushort Port,
    string? Name,
    string Dialect,
    long FirstSeenMicros,
    long LastSeenMicros,
    long Sessions);

/// <summary>
/// Learned intel (issue: public pool lists are stale). When a flow is confirmed as mining in
/// clear text, its server endpoint and any name seen for it (SNI, DNS, the Stratum exchange)
/// are remembered with first and last seen; later TLS or opaque flows to that endpoint, or
/// to that address on another port, are flagged. Bounded (least recently seen forgotten first),
/// kept across restarts by the daemon, and written in the pool-list format
/// (<c>rules/intel/README.md</c>) so other sensors can load it as ordinary intel.
/// </summary>
public sealed class LearnedPools
{
    public const int DefaultCapacity = 10_000;

    /// <summary><c>meta.source</c> of every learned entry.</summary>
    public const string Source = "pooldetector-learned";

    private readonly BoundedLru<(IpAddress Address, ushort Port), LearnedEndpoint> _endpoints;
    private readonly BoundedLru<IpAddress, LearnedEndpoint> _byAddress;
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;

    public LearnedPools(int capacity = DefaultCapacity)
    {
        Capacity = capacity;
        _endpoints = new BoundedLru<(IpAddress, ushort), LearnedEndpoint>(capacity);
        _byAddress = new BoundedLru<IpAddress, LearnedEndpoint>(capacity);
        _nameLookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    public int Count => _endpoints.Count;

    /// <summary>Endpoints forgotten to stay within the capacity.</summary>
    public long Evicted => _endpoints.Evicted;

    /// <summary>Names not learned because the name set was full.</summary>
    public long NamesRefused { get; private set; }

    /// <summary>Raised when something new was learned (the daemon saves soon after). On the packet thread.</summary>
    public bool Changed { get; set; }

    public IEnumerable<LearnedEndpoint> Endpoints => _endpoints.Entries.Select(e => e.Value);

    public void Learn(IpAddress address, ushort port, string? name, string dialect, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        // The name comes from the traffic (the miner's subscribe, an HTTP Host): only a DNS
        // name may reach the pool list, never text that could forge lines or columns in it.
        name = HostName(name);
        LearnedEndpoint entry;
        if (_endpoints.TryGetValue((address, port), out var known))
        {
            entry = known with
            {
                Name = known.Name ?? name,
                LastSeenMicros = Math.Max(known.LastSeenMicros, nowMicros),
                Sessions = known.Sessions + 1,
            };
        }
        else
        {
            entry = new LearnedEndpoint(address, port, name, dialect, nowMicros, nowMicros, 1);
        }
        Add(entry);
    }

    /// <summary>
    /// Adds an endpoint learned elsewhere (another capture, another run): with one already
    /// known, first and last seen widen, sessions add up and a missing name is filled in.
    /// </summary>
    public void Merge(LearnedEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var name = HostName(endpoint.Name);
        if (_endpoints.TryGetValue((endpoint.Address, endpoint.Port), out var known))
        {
            Add(known with
            {
                Name = known.Name ?? name,
                FirstSeenMicros = Math.Min(known.FirstSeenMicros, endpoint.FirstSeenMicros),
                LastSeenMicros = Math.Max(known.LastSeenMicros, endpoint.LastSeenMicros),
                Sessions = known.Sessions + endpoint.Sessions,
            });
        }
        else
        {
            Add(endpoint with { Name = name });
        }
    }

    /// <summary>The endpoint itself, else the most recent endpoint learned on the same address (pools listen on several ports).</summary>
    public bool TryMatch(IpAddress address, ushort port, out LearnedEndpoint endpoint, out bool samePort)
    {
        if (_endpoints.TryGetValue((address, port), out endpoint!))
        {
            // A use of the address too: the two memories age together.
            _byAddress.TryGetValue(address, out _);
            samePort = true;
            return true;
        }
        samePort = false;
        // The address's entry counts only while its endpoint is still held (not forgotten for room).
        return _byAddress.TryGetValue(address, out endpoint!) && _endpoints.TryGetValue((endpoint.Address, endpoint.Port), out _);
    }

    public bool KnowsName(ReadOnlySpan<char> name) => _names.Count > 0 && _nameLookup.Contains(name.TrimEnd('.'));

    private void Add(LearnedEndpoint entry)
    {
        _endpoints.Set((entry.Address, entry.Port), entry);
        _byAddress.Set(entry.Address, entry);
        if (entry.Name is not null && !_names.Contains(entry.Name))
        {
            if (_names.Count < Capacity)
            {
                _names.Add(entry.Name);
            }
            else
            {
                NamesRefused++;
            }
        }
        Changed = true;
    }

    /// <summary>
    /// Writes the learned endpoints (and their names) as a pool list: <c>ADDR</c> lines with the
    /// port, <c>HOST</c> lines (weak) for names, first/last seen in <c>meta.desc</c>. Least recently
    /// seen first, so reading it back restores the same order.
    /// </summary>
    public void Save(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("# Pool endpoints PoolDetector saw serve confirmed mining sessions (learned intel).");
        writer.WriteLine("# Load it on another sensor by copying it into rules/intel/. Format: rules/intel/README.md.");
        writer.WriteLine("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tconfidence");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, entry) in _endpoints.Entries)
        {
            var endpoint = entry.Address.ToEndpointString(entry.Port);
            writer.WriteLine($"{endpoint}\tADDR\t{Source}\t{Describe(entry)}\tstrong");
        }
        foreach (var (_, entry) in _endpoints.Entries)
        {
            if (entry.Name is not null && names.Add(entry.Name))
            {
                // Weak: the name is what a miner said it connected to; it names flows, the address flags them.
                writer.WriteLine($"{entry.Name}\tHOST\t{Source}\t{Describe(entry)}\tweak");
            }
        }
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote. <c>HOST</c> lines are skipped (names come back with
    /// their endpoints); anything else that is not an intact learned <c>ADDR</c> line is a
    /// problem, reported as <c>line: problem</c> and skipped, so a damaged or hand-edited file
    /// loads what is good in it. Returns the number of endpoints read.
    /// </summary>
    public int Load(TextReader reader, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(problems);
        var read = 0;
        var number = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var fields = line.Split('\t');
            if (fields.Length != 5)
            {
                problems.Add($"{number}: expected 5 tab-separated fields (indicator, indicator_type, meta.source, meta.desc, confidence), found {fields.Length}");
                continue;
            }
            if (fields[1] == "HOST")
            {
                continue;
            }
            if (fields[1] != "ADDR")
            {
                problems.Add($"{number}: indicator_type '{fields[1]}' is not one this file holds (ADDR, HOST)");
                continue;
            }
            if (!IPEndPoint.TryParse(fields[0], out var endpoint) || endpoint.Port == 0)
            {
                problems.Add($"{number}: '{fields[0]}' is not an address:port");
                continue;
            }
            var facts = ParseDescription(fields[3]);
            if (!TryTime(facts, "first_seen", out var first) || !TryTime(facts, "last_seen", out var last))
            {
                problems.Add($"{number}: first_seen and last_seen are required");
                continue;
            }
            facts.TryGetValue("dialect", out var dialect);
            if (dialect is not null && !IsDialectId(dialect))
            {
                problems.Add($"{number}: dialect '{dialect}' is not a dialect id; kept as unknown");
                dialect = null;
            }
            facts.TryGetValue("name", out var name);
            if (name is not null && HostName(name) is null)
            {
                problems.Add($"{number}: name '{name}' is not a DNS name; the endpoint is kept without it");
                name = null;
            }
            _ = long.TryParse(facts.GetValueOrDefault("sessions"), NumberStyles.None, CultureInfo.InvariantCulture, out var sessions);
            Merge(new LearnedEndpoint(IpAddress.FromIPAddress(endpoint.Address), (ushort)endpoint.Port, name, dialect ?? "unknown", first, last, Math.Max(1, sessions)));
            read++;
        }
        Changed = false;
        return read;
    }

    /// <summary>
    /// The name as a pool list may hold it (lower case, no trailing dot), or null when it is
    /// not a multi-label ASCII DNS name: a miner chooses what it sends, and a tab or a newline
    /// in it would otherwise become columns or lines of the list other sensors load.
    /// </summary>
    public static string? HostName(string? name)
    {
        if (string.IsNullOrEmpty(name) || !System.Text.Ascii.IsValid(name) || DomainMatcher.Normalize(name, out var normalized) is not null)
        {
            return null;
        }
        return normalized;
    }

    private static bool IsDialectId(string dialect)
    {
        if (dialect.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var c in dialect)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    private static string Describe(LearnedEndpoint entry)
    {
        var name = entry.Name is null ? "" : $"; name={entry.Name}";
        return $"pool; learned from a confirmed mining session; dialect={entry.Dialect}{name}; first_seen={Time(entry.FirstSeenMicros)}; last_seen={Time(entry.LastSeenMicros)}; sessions={entry.Sessions}";
    }

    private static string Time(long micros) =>
        DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

    private static bool TryTime(Dictionary<string, string> facts, string key, out long micros)
    {
        micros = 0;
        if (facts.TryGetValue(key, out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            micros = (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
            return true;
        }
        return false;
    }

    private static Dictionary<string, string> ParseDescription(string description)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in description.Split(';', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                facts[part[..equals]] = part[(equals + 1)..];
            }
        }
        return facts;
    }
}
