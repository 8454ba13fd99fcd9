using System.Buffers;
using System.Globalization;
using System.Text;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Intel;

/// <summary>What loading produced: the intel (whatever loaded cleanly) and every problem found.</summary>
public sealed record IntelLoadResult(PoolIntel Intel, IReadOnlyList<RuleError> Errors);

/// <summary>
/// Reads <c>rules/intel/</c>: <c>*.tsv</c> (Zeek-intel-like, <c>#fields</c> names the
/// columns), <c>allowlist*.tsv</c> (the operator allowlist), <c>*.txt</c> (one name,
/// address or CIDR a line) and <c>*.hosts</c> (hosts-file lines). Files are streamed line by
/// line, so a million-entry list costs its entries, not its text. Every bad line is an
/// error naming file:line; after <see cref="MaxErrorsPerFile"/> in one file the rest are counted.
/// </summary>
public static class IntelLoader
{
    public const int MaxErrorsPerFile = 100;
    public const int MaxLineLength = 4096;
    private const long MaxFileBytes = 512L * 1024 * 1024;

    /// <summary>Loads every intel file in <paramref name="directory"/>, in ordinal name order. An absent directory is empty intel.</summary>
    public static IntelLoadResult LoadDirectory(string directory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new Builder(now);
        if (!Directory.Exists(directory))
        {
            return builder.Build();
        }
        string[] files;
        try
        {
            files = [.. Directory.GetFiles(directory).Where(f => FormatOf(f) is not null).Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            builder.Error(directory, 0, "cannot list intel directory: " + e.Message);
            return builder.Build();
        }
        foreach (var file in files)
        {
            try
            {
                if (new FileInfo(file).Length > MaxFileBytes)
                {
                    builder.Error(file, 0, $"file is larger than {MaxFileBytes} bytes");
                    continue;
                }
                using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
                builder.AddFile(file, reader);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                builder.Error(file, 0, "cannot read: " + e.Message);
            }
        }
        return builder.Build();
    }

    /// <summary>Loads in-memory files (name decides the format, as on disk).</summary>
    public static IntelLoadResult Load(IReadOnlyList<(string Path, string Text)> files, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(files);
        var builder = new Builder(now);
        foreach (var (path, text) in files)
        {
            using var reader = new StringReader(text);
            builder.AddFile(path, reader);
        }
        return builder.Build();
    }

    private enum FileFormat
    {
        Intel,
        Allowlist,
        Plain,
        Hosts,
    }

    private static FileFormat? FormatOf(string path)
    {
        var name = Path.GetFileName(path);
        if (name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            return name.StartsWith("allowlist", StringComparison.OrdinalIgnoreCase) ? FileFormat.Allowlist : FileFormat.Intel;
        }
        if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            return FileFormat.Plain;
        }
        return name.EndsWith(".hosts", StringComparison.OrdinalIgnoreCase) ? FileFormat.Hosts : null;
    }

    private enum IndicatorType
    {
        Domain,
        Host,
        Addr,
        Subnet,
        Wallet,
    }

    private static readonly SearchValues<char> AddressChars = SearchValues.Create("0123456789.:[]abcdefABCDEF");
    private static readonly SearchValues<char> DottedQuadChars = SearchValues.Create("0123456789.");
    private static readonly string[] IntelFields = ["indicator", "indicator_type", "meta.source", "meta.desc", "confidence"];
    private static readonly string[] AllowlistFields = ["indicator", "indicator_type", "reason", "expires"];
    private static readonly HashSet<string> HostsFileSelfNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback", "0.0.0.0",
    };

    private sealed class Builder
    {
        private readonly DateOnly _today;
        private readonly List<RuleError> _errors = [];
        private readonly List<string> _files = [];
        private readonly DomainMatcher _domains = new();
        private readonly AddressMatcher _addresses = new();
        private readonly IntelAllowlist _allowlist = new();
        private readonly Dictionary<EntryKey, IntelEntry> _entries = [];
        private DateOnly? _nextExpiry;

        // Per-file state.
        private string _file = "";
        private int _fileErrors;
        private string[] _fields = [];
        private string _source = "";
        private string _kind = "pool";
        private IntelConfidence _confidence;
        private string _lastSource = "";
        private string _lastDesc = "";
        private IntelEntry? _defaultEntry;

        public Builder(DateTimeOffset now)
        {
            _today = DateOnly.FromDateTime(now.UtcDateTime);
        }

        public void Error(string file, int line, string problem) => _errors.Add(new RuleError(file, line, problem));

        public IntelLoadResult Build()
        {
            _addresses.Freeze();
            _allowlist.Addresses.Freeze();
            return new IntelLoadResult(new PoolIntel(_domains, _addresses, _allowlist, _files, _nextExpiry), _errors);
        }

        public void AddFile(string path, TextReader reader)
        {
            var format = FormatOf(path);
            if (format is null)
            {
                Error(path, 0, "not an intel file: expected *.tsv, *.txt or *.hosts");
                return;
            }
            _files.Add(path);
            _file = path;
            _fileErrors = 0;
            _fields = format == FileFormat.Allowlist ? AllowlistFields : IntelFields;
            _source = Path.GetFileNameWithoutExtension(path);
            _kind = "pool";
            _confidence = IntelConfidence.Strong;
            _defaultEntry = null;
            var lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Length > MaxLineLength)
                {
                    LineError(lineNumber, $"line longer than {MaxLineLength} characters");
                    continue;
                }
                var span = line.AsSpan();
                var trimmed = span.Trim();
                if (trimmed.IsEmpty)
                {
                    continue;
                }
                if (trimmed[0] == '#')
                {
                    Comment(trimmed, format.Value, lineNumber);
                    continue;
                }
                switch (format.Value)
                {
                    case FileFormat.Intel:
                    case FileFormat.Allowlist:
                        TsvLine(span.TrimEnd("\r\n "), format.Value == FileFormat.Allowlist, lineNumber);
                        break;
                    case FileFormat.Plain:
                        PlainLine(StripComment(trimmed), lineNumber);
                        break;
                    case FileFormat.Hosts:
                        HostsLine(StripComment(trimmed), lineNumber);
                        break;
                }
            }
            if (_fileErrors > MaxErrorsPerFile)
            {
                Error(path, 0, $"{_fileErrors - MaxErrorsPerFile} more bad lines not listed");
            }
        }

        private void LineError(int line, string problem)
        {
            if (++_fileErrors <= MaxErrorsPerFile)
            {
                Error(_file, line, problem);
            }
        }

        private static ReadOnlySpan<char> StripComment(ReadOnlySpan<char> line)
        {
            var hash = line.IndexOf('#');
            return (hash < 0 ? line : line[..hash]).Trim();
        }

        private void Comment(ReadOnlySpan<char> line, FileFormat format, int lineNumber)
        {
            if (line.StartsWith("#fields"))
            {
                if (format is FileFormat.Plain or FileFormat.Hosts)
                {
                    return;
                }
                var names = line["#fields".Length..].ToString().Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (!names.Contains("indicator") || !names.Contains("indicator_type"))
                {
                    LineError(lineNumber, "#fields must name indicator and indicator_type");
                    return;
                }
                if (format == FileFormat.Allowlist && (!names.Contains("reason") || !names.Contains("expires")))
                {
                    LineError(lineNumber, "allowlist #fields must name reason and expires");
                    return;
                }
                _fields = names;
                return;
            }
            if (format is not (FileFormat.Plain or FileFormat.Hosts))
            {
                return;
            }
            // Directives for lists that have no columns: "# source: x", "# kind: x", "# confidence: weak".
            _defaultEntry = null;
            var body = line[1..].Trim();
            var colon = body.IndexOf(':');
            if (colon <= 0)
            {
                return;
            }
            var key = body[..colon].Trim();
            var value = body[(colon + 1)..].Trim();
            if (key.Equals("source", StringComparison.OrdinalIgnoreCase) && !value.IsEmpty)
            {
                _source = value.ToString();
            }
            else if (key.Equals("kind", StringComparison.OrdinalIgnoreCase) && !value.IsEmpty)
            {
                _kind = value.ToString();
            }
            else if (key.Equals("confidence", StringComparison.OrdinalIgnoreCase))
            {
                if (!TryConfidence(value, out _confidence))
                {
                    LineError(lineNumber, $"confidence must be strong or weak, not '{value}'");
                }
            }
        }

        private static bool TryConfidence(ReadOnlySpan<char> text, out IntelConfidence confidence)
        {
            confidence = IntelConfidence.Strong;
            if (text.IsEmpty || text.Equals("strong", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (text.Equals("weak", StringComparison.OrdinalIgnoreCase))
            {
                confidence = IntelConfidence.Weak;
                return true;
            }
            return false;
        }

        private void TsvLine(ReadOnlySpan<char> line, bool allowlist, int lineNumber)
        {
            Span<Range> ranges = stackalloc Range[16];
            var count = line.Split(ranges, '\t');
            ReadOnlySpan<char> Field(string name, ReadOnlySpan<char> row, Span<Range> r)
            {
                var index = Array.IndexOf(_fields, name);
                if (index < 0 || index >= count)
                {
                    return default;
                }
                var value = row[r[index]].Trim();
                return value is "-" ? default : value;
            }
            var indicatorIndex = Array.IndexOf(_fields, "indicator");
            var typeIndex = Array.IndexOf(_fields, "indicator_type");
            if (count <= Math.Max(indicatorIndex, typeIndex))
            {
                LineError(lineNumber, $"missing columns: expected tab-separated {string.Join(", ", _fields)}; found {count} column(s)");
                return;
            }
            var indicator = Field("indicator", line, ranges);
            var typeText = Field("indicator_type", line, ranges);
            if (indicator.IsEmpty || typeText.IsEmpty)
            {
                LineError(lineNumber, "empty indicator or indicator_type");
                return;
            }
            if (!TryType(typeText, allowlist, out var type))
            {
                LineError(lineNumber, $"unknown indicator_type '{typeText}' (expected DOMAIN, HOST, ADDR, SUBNET{(allowlist ? " or WALLET" : "")})");
                return;
            }
            IntelEntry entry;
            if (allowlist)
            {
                var reason = Field("reason", line, ranges);
                var expiresText = Field("expires", line, ranges);
                if (reason.IsEmpty)
                {
                    LineError(lineNumber, "allowlist entry without a reason");
                    return;
                }
                DateOnly? expires = null;
                if (!expiresText.Equals("never", StringComparison.OrdinalIgnoreCase))
                {
                    if (!DateOnly.TryParseExact(expiresText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    {
                        LineError(lineNumber, $"expires must be an ISO date (YYYY-MM-DD) or 'never', not '{expiresText}'");
                        return;
                    }
                    expires = date;
                }
                entry = Intern(Text(reason, ref _lastDesc), "allow", _source, IntelConfidence.Strong, expires);
                if (expires < _today)
                {
                    // Still validated, so a typo in a lapsed entry is found before someone renews it.
                    if (Validate(indicator, type, lineNumber))
                    {
                        _allowlist.ExpiredCount++;
                    }
                    return;
                }
                if (Add(indicator, type, entry, _allowlist.Domains, _allowlist.Addresses, lineNumber) && expires is { } e && (_nextExpiry is null || e < _nextExpiry))
                {
                    _nextExpiry = e;
                }
                return;
            }
            var source = Field("meta.source", line, ranges);
            var desc = Field("meta.desc", line, ranges);
            if (!TryConfidence(Field("confidence", line, ranges), out var confidence))
            {
                LineError(lineNumber, $"confidence must be strong or weak, not '{Field("confidence", line, ranges)}'");
                return;
            }
            var kindEnd = desc.IndexOfAny(';', ' ');
            var kind = (kindEnd < 0 ? desc : desc[..kindEnd]).Trim();
            entry = Intern(Text(desc, ref _lastDesc), kind.IsEmpty ? "pool" : kind.ToString(), source.IsEmpty ? _source : Text(source, ref _lastSource), confidence, null);
            Add(indicator, type, entry, _domains, _addresses, lineNumber);
        }

        private void PlainLine(ReadOnlySpan<char> token, int lineNumber)
        {
            if (token.IsEmpty)
            {
                return;
            }
            if (token.ContainsAny(' ', '\t'))
            {
                LineError(lineNumber, "expected one name, address or CIDR range a line");
                return;
            }
            var type = token.Contains('/') ? IndicatorType.Subnet
                : !token.ContainsAnyExcept(AddressChars) && (token.Contains(':') || !token.ContainsAnyExcept(DottedQuadChars)) ? IndicatorType.Addr
                : IndicatorType.Domain;
            Add(token, type, _defaultEntry ??= Intern("", _kind, _source, _confidence, null), _domains, _addresses, lineNumber);
        }

        private void HostsLine(ReadOnlySpan<char> line, int lineNumber)
        {
            if (line.IsEmpty)
            {
                return;
            }
            Span<Range> ranges = stackalloc Range[64];
            var count = line.SplitAny(ranges, " \t", StringSplitOptions.RemoveEmptyEntries);
            if (AddressMatcher.ParseAddress(line[ranges[0]], out _, out var port) is not null || port != 0)
            {
                LineError(lineNumber, $"hosts-file line must start with an address, not '{line[ranges[0]]}'");
                return;
            }
            if (count < 2)
            {
                LineError(lineNumber, "hosts-file line has no host name after the address");
                return;
            }
            var entry = _defaultEntry ??= Intern("", _kind, _source, _confidence, null);
            for (var i = 1; i < count; i++)
            {
                var name = line[ranges[i]];
                if (!HostsFileSelfNames.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
                {
                    Add(name, IndicatorType.Domain, entry, _domains, _addresses, lineNumber);
                }
            }
        }

        private static bool TryType(ReadOnlySpan<char> text, bool allowlist, out IndicatorType type)
        {
            if (text.StartsWith("Intel::", StringComparison.OrdinalIgnoreCase))
            {
                text = text[7..];
            }
            type = text switch
            {
                _ when text.Equals("DOMAIN", StringComparison.OrdinalIgnoreCase) => IndicatorType.Domain,
                _ when text.Equals("HOST", StringComparison.OrdinalIgnoreCase) => IndicatorType.Host,
                _ when text.Equals("ADDR", StringComparison.OrdinalIgnoreCase) => IndicatorType.Addr,
                _ when text.Equals("SUBNET", StringComparison.OrdinalIgnoreCase) => IndicatorType.Subnet,
                _ when allowlist && text.Equals("WALLET", StringComparison.OrdinalIgnoreCase) => IndicatorType.Wallet,
                _ => (IndicatorType)(-1),
            };
            return type >= 0;
        }

        private bool Validate(ReadOnlySpan<char> indicator, IndicatorType type, int lineNumber)
        {
            var problem = type switch
            {
                IndicatorType.Domain or IndicatorType.Host => DomainMatcher.Normalize(indicator, out _),
                IndicatorType.Addr => AddressMatcher.ParseAddress(indicator, out _, out _),
                IndicatorType.Subnet => AddressMatcher.ParseCidr(indicator, out _, out _),
                _ => indicator.ContainsAny(' ', '\t') || indicator.Length > 256 ? $"'{indicator}' is not a wallet address" : null,
            };
            if (problem is not null)
            {
                LineError(lineNumber, problem);
            }
            return problem is null;
        }

        private bool Add(ReadOnlySpan<char> indicator, IndicatorType type, IntelEntry entry, DomainMatcher domains, AddressMatcher addresses, int lineNumber)
        {
            string? problem;
            switch (type)
            {
                case IndicatorType.Domain:
                case IndicatorType.Host:
                    problem = DomainMatcher.Normalize(indicator, out var name);
                    if (problem is null)
                    {
                        domains.Add(name, type == IndicatorType.Host, entry);
                    }
                    break;
                case IndicatorType.Addr:
                    problem = AddressMatcher.ParseAddress(indicator, out var address, out var port);
                    if (problem is null)
                    {
                        addresses.Add(address, (byte)(address.IsV4 ? 32 : 128), port, indicator.ToString(), entry);
                    }
                    break;
                case IndicatorType.Subnet:
                    problem = AddressMatcher.ParseCidr(indicator, out var network, out var length);
                    if (problem is null)
                    {
                        addresses.Add(network, length, 0, indicator.ToString(), entry);
                    }
                    break;
                default:
                    problem = indicator.ContainsAny(' ', '\t') || indicator.Length > 256 ? $"'{indicator}' is not a wallet address" : null;
                    if (problem is null)
                    {
                        _allowlist.AddWallet(indicator.ToString(), entry);
                    }
                    break;
            }
            if (problem is not null)
            {
                LineError(lineNumber, problem);
            }
            return problem is null;
        }

        /// <summary>Lists repeat the same source and description line after line: reuse the last string.</summary>
        private static string Text(ReadOnlySpan<char> value, ref string last)
        {
            if (!value.SequenceEqual(last))
            {
                last = value.ToString();
            }
            return last;
        }

        private IntelEntry Intern(string description, string kind, string source, IntelConfidence confidence, DateOnly? expires)
        {
            var key = new EntryKey(_file, source, kind, description, confidence, expires);
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new IntelEntry(_file, source, kind, description, confidence, expires);
                _entries.Add(key, entry);
            }
            return entry;
        }
    }

    private readonly record struct EntryKey(string File, string Source, string Kind, string Description, IntelConfidence Confidence, DateOnly? Expires);
}
