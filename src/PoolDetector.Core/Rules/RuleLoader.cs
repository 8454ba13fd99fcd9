using PoolDetector.Core.Intel;
using PoolDetector.Core.Protocols.Stratum;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PoolDetector.Core.Rules;

/// <summary>
/// Loads <c>rules/*.yml</c>. Each file says what it holds with a top-level <c>kind</c>.
/// Every problem in every file is collected (file, line, problem) before failing, so an
/// operator fixes them all in one go; nothing half-loaded is ever returned.
/// </summary>
public static partial class RuleLoader
{
    private const int MaxRuleFileBytes = 4 * 1024 * 1024;

    /// <summary>Loads and validates every <c>*.yml</c> file in <paramref name="directory"/>.</summary>
    /// <exception cref="RuleLoadException">Any file is unreadable or invalid; every problem is listed.</exception>
    public static RuleSet LoadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new RuleLoadException([new RuleError(directory, 0, "rules directory does not exist")]);
        }
        string[] files;
        try
        {
            files = Directory.GetFiles(directory, "*.yml");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuleLoadException([new RuleError(directory, 0, "cannot list rules directory: " + e.Message)]);
        }
        Array.Sort(files, StringComparer.Ordinal);
        var sources = new List<(string Path, string Text)>();
        var errors = new List<RuleError>();
        foreach (var file in files)
        {
            try
            {
                if (new FileInfo(file).Length > MaxRuleFileBytes)
                {
                    errors.Add(new RuleError(file, 0, $"file is larger than {MaxRuleFileBytes} bytes"));
                    continue;
                }
                sources.Add((file, File.ReadAllText(file)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new RuleError(file, 0, "cannot read: " + e.Message));
            }
        }
        // Pool intel lives in intel/ beside the YAML; its problems are reported with the rules'.
        var intel = IntelLoader.LoadDirectory(Path.Combine(directory, IntelDirectoryName), DateTimeOffset.UtcNow);
        errors.AddRange(intel.Errors);
        if (errors.Count > 0)
        {
            throw new RuleLoadException(errors);
        }
        return Load(sources, intel.Intel);
    }

    /// <summary>The folder of <c>rules/</c> that holds pool intel and the allowlist.</summary>
    public const string IntelDirectoryName = "intel";

    /// <summary>Loads rules from in-memory files (path for messages, YAML text).</summary>
    public static RuleSet Load(IReadOnlyList<(string Path, string Text)> files, PoolIntel? intel = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var builder = new Builder(intel);
        foreach (var (path, text) in files)
        {
            builder.AddFile(path, text);
        }
        return builder.Build();
    }

    private sealed partial class Builder
    {
        private readonly List<RuleError> _errors = [];
        private readonly List<(DialectRule Rule, string File, int Line, int SignatureLine)> _dialects = [];
        private readonly List<(MethodRule Rule, string File, int Line)> _methods = [];
        private readonly List<(HeaderRule Rule, string File, int Line)> _headers = [];
        private readonly List<AgentRule> _agents = [];
        private readonly List<(TlsFingerprintRule Rule, string File, int Line)> _tlsFingerprints = [];
        private readonly List<string> _files = [];
        private ScoringRule? _scoring;
        private bool _scoringSeen;
        private string _file = "";
        private readonly PoolIntel? _intel;

        public Builder(PoolIntel? intel)
        {
            _intel = intel;
        }

        public void AddFile(string path, string text)
        {
            _file = path;
            _files.Add(path);
            YamlMappingNode root;
            if (NonPrintable(text) is { } bad)
            {
                Error(bad.Line, $"YAML syntax: character U+{(int)bad.Char:X4} at column {bad.Column} is not allowed in YAML (only tab, line breaks and printable characters are)");
                return;
            }
            var parser = new Parser(new StringReader(text));
            try
            {
                var stream = new YamlStream();
                stream.Load(parser);
                if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
                {
                    Error(1, "expected one YAML document with a mapping at the top (kind: ...)");
                    return;
                }
                root = mapping;
            }
            catch (YamlException e)
            {
                Error((int)e.Start.Line, "YAML syntax: " + e.Message);
                return;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner throws this instead of a YamlException when the file
                // ends inside a flow collection; point at the bracket left open.
                Error(UnclosedBracketLine(text), "YAML syntax: a [ or { is never closed");
                return;
            }
            catch (ArgumentException)
            {
                // YamlDotNet's node loader throws this, not a YamlException, on an event it does
                // not expect where a node should be; the parser stands on that event.
                Error((int)(parser.Current?.Start.Line ?? 1), "YAML syntax: a node was expected here");
                return;
            }

            var kind = RequiredString(root, "kind");
            switch (kind)
            {
                case null:
                    return;
                case "dialects":
                    foreach (var item in RequiredList(root, "dialects"))
                    {
                        ReadDialect(item);
                    }
                    break;
                case "methods":
                    foreach (var item in RequiredList(root, "methods"))
                    {
                        ReadMethod(item);
                    }
                    break;
                case "agents":
                    foreach (var item in RequiredList(root, "agents"))
                    {
                        ReadAgent(item);
                    }
                    break;
                case "http_headers":
                    foreach (var item in RequiredList(root, "headers"))
                    {
                        ReadHeader(item);
                    }
                    break;
                case "scoring":
                    ReadScoring(root);
                    break;
                case "tls_fingerprints":
                    foreach (var item in RequiredList(root, "fingerprints"))
                    {
                        ReadTlsFingerprint(item);
                    }
                    break;
                default:
                    Error(root, $"unknown kind '{kind}' (expected dialects, methods, agents, http_headers, scoring or tls_fingerprints)");
                    break;
            }
        }

        public RuleSet Build()
        {
            var dialectIds = new HashSet<string>(StringComparer.Ordinal);
            var signatureIds = new HashSet<int>();
            foreach (var (rule, file, line, signatureLine) in _dialects)
            {
                if (!dialectIds.Add(rule.Id))
                {
                    _errors.Add(new RuleError(file, line, $"dialect '{rule.Id}' is defined twice"));
                }
                if (!signatureIds.Add(rule.SignatureId))
                {
                    _errors.Add(new RuleError(file, signatureLine, $"signature_id {rule.SignatureId} is used twice"));
                }
            }
            foreach (var (rule, file, line, _) in _dialects)
            {
                if (rule.Refines is not null && !dialectIds.Contains(rule.Refines))
                {
                    _errors.Add(new RuleError(file, line, $"refines unknown dialect '{rule.Refines}'"));
                }
            }
            var methodKeys = new HashSet<(string, MessageSender)>();
            foreach (var (rule, file, line) in _methods)
            {
                if (!dialectIds.Contains(rule.Dialect))
                {
                    _errors.Add(new RuleError(file, line, $"unknown dialect '{rule.Dialect}' (define it in a kind: dialects file)"));
                }
                if (!methodKeys.Add((rule.Name, rule.Sender)))
                {
                    _errors.Add(new RuleError(file, line, $"method '{rule.Name}' sent by {rule.Sender.ToString().ToLowerInvariant()} is defined twice"));
                }
            }
            foreach (var (rule, file, line) in _headers)
            {
                if (!dialectIds.Contains(rule.Dialect))
                {
                    _errors.Add(new RuleError(file, line, $"unknown dialect '{rule.Dialect}'"));
                }
            }
            if (_dialects.Count == 0)
            {
                _errors.Add(new RuleError(_files.Count > 0 ? string.Join(", ", _files) : "rules", 0, "no dialects defined (a kind: dialects file is required)"));
            }
            if (_scoring is null && !_scoringSeen)
            {
                _errors.Add(new RuleError(_files.Count > 0 ? string.Join(", ", _files) : "rules", 0, "no scoring defined (a kind: scoring file is required)"));
            }
            if (_errors.Count > 0)
            {
                throw new RuleLoadException(_errors);
            }
            return new RuleSet(
                _dialects.ConvertAll(d => d.Rule),
                _methods.ConvertAll(m => m.Rule),
                _agents,
                _headers.ConvertAll(h => h.Rule),
                _scoring!,
                _files,
                _intel,
                _tlsFingerprints.ConvertAll(f => f.Rule));
        }

        private void ReadDialect(YamlMappingNode node)
        {
            var id = RequiredString(node, "id");
            var appProto = RequiredString(node, "app_proto");
            var sid = RequiredInt(node, "signature_id", 1, int.MaxValue);
            var rev = RequiredInt(node, "rev", 1, int.MaxValue);
            var signature = RequiredString(node, "signature");
            var severity = RequiredInt(node, "severity", 1, 3);
            var refines = OptionalString(node, "refines");
            var categoryName = OptionalString(node, "category") ?? "mining";
            CheckKeys(node, "id", "app_proto", "signature_id", "rev", "signature", "severity", "refines", "category");
            var category = DetectionCategoryNames.FromWireName(categoryName);
            if (category is null)
            {
                Error(node.Children[new YamlScalarNode("category")], $"unknown category '{categoryName}' (expected mining, pool-contact or crypto-node)");
                return;
            }
            if (id is null || appProto is null || sid is null || rev is null || signature is null || severity is null)
            {
                return;
            }
            _dialects.Add((new DialectRule(id, appProto, sid.Value, rev.Value, signature, severity.Value, refines, category.Value), _file, Line(node), Line(node.Children[new YamlScalarNode("signature_id")])));
        }

        private void ReadMethod(YamlMappingNode node)
        {
            var name = RequiredString(node, "name");
            var dialect = RequiredString(node, "dialect");
            var sender = RequiredEnum<MessageSender>(node, "sender");
            var role = RequiredEnum<MethodRole>(node, "role");
            var shape = RequiredString(node, "shape");
            var weight = RequiredInt(node, "weight", 0, 100);
            var nameWeight = RequiredInt(node, "name_weight", 0, 100);
            var reply = OptionalString(node, "reply");
            var replyWeight = reply is null ? 0 : RequiredInt(node, "reply_weight", 0, 100);
            CheckKeys(node, "name", "dialect", "sender", "role", "shape", "weight", "name_weight", "reply", "reply_weight");
            if (shape is not null && !MessageShapes.IsKnownParamsShape(shape))
            {
                Error(node, $"unknown shape '{shape}' (known: {string.Join(", ", MessageShapes.ParamsShapeNames)})");
                shape = null;
            }
            if (reply is not null && !MessageShapes.IsKnownReplyShape(reply))
            {
                Error(node, $"unknown reply '{reply}' (known: {string.Join(", ", MessageShapes.ReplyShapeNames)})");
                return;
            }
            if (name is null || dialect is null || sender is null || role is null || shape is null || weight is null || nameWeight is null || replyWeight is null)
            {
                return;
            }
            if (name.Length > 64)
            {
                Error(node, "method name longer than 64 characters");
                return;
            }
            _methods.Add((new MethodRule(name, dialect, sender.Value, role.Value, shape, weight.Value, nameWeight.Value, reply, replyWeight.Value), _file, Line(node)));
        }

        private void ReadAgent(YamlMappingNode node)
        {
            var pattern = RequiredString(node, "pattern");
            var software = RequiredString(node, "software");
            var match = RequiredEnum<AgentMatch>(node, "match");
            var weight = RequiredInt(node, "weight", 0, 100);
            CheckKeys(node, "pattern", "software", "match", "weight");
            if (pattern is null || software is null || match is null || weight is null)
            {
                return;
            }
            if (pattern.Length < 3)
            {
                Error(node, "pattern must be at least 3 characters (shorter ones match too much)");
                return;
            }
            _agents.Add(new AgentRule(pattern, software, match.Value, weight.Value));
        }

        private void ReadHeader(YamlMappingNode node)
        {
            var name = RequiredString(node, "name");
            var sender = RequiredEnum<MessageSender>(node, "sender");
            var dialect = RequiredString(node, "dialect");
            var weight = RequiredInt(node, "weight", 0, 100);
            CheckKeys(node, "name", "sender", "dialect", "weight");
            if (name is null || sender is null || dialect is null || weight is null)
            {
                return;
            }
            _headers.Add((new HeaderRule(name, sender.Value, dialect, weight.Value), _file, Line(node)));
        }

        private void ReadTlsFingerprint(YamlMappingNode node)
        {
            var ja4 = OptionalString(node, "ja4");
            var ja3 = OptionalString(node, "ja3");
            var software = RequiredString(node, "software");
            var source = RequiredString(node, "source");
            CheckKeys(node, "ja4", "ja3", "software", "source");
            if ((ja4 is null) == (ja3 is null))
            {
                Error(node, "give exactly one of 'ja4' and 'ja3'");
                return;
            }
            if (ja4 is not null && !Ja4Shape().IsMatch(ja4))
            {
                Error(node.Children[new YamlScalarNode("ja4")], $"'{ja4}' is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_02713d6af862)");
                return;
            }
            if (ja3 is not null && !Ja3Shape().IsMatch(ja3))
            {
                Error(node.Children[new YamlScalarNode("ja3")], $"'{ja3}' is not a JA3 fingerprint (32 hexadecimal digits)");
                return;
            }
            if (software is null || source is null)
            {
                return;
            }
            var fingerprint = (ja4 ?? ja3!).ToLowerInvariant();
            if (_tlsFingerprints.Exists(f => f.Rule.Fingerprint == fingerprint))
            {
                Error(node, $"fingerprint '{fingerprint}' is listed twice");
                return;
            }
            _tlsFingerprints.Add((new TlsFingerprintRule(fingerprint, software, source), _file, Line(node)));
        }

        [System.Text.RegularExpressions.GeneratedRegex("^[tqd][0-9a-z]{2}[di][0-9]{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
        private static partial System.Text.RegularExpressions.Regex Ja4Shape();

        [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-f]{32}$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
        private static partial System.Text.RegularExpressions.Regex Ja3Shape();

        private void ReadScoring(YamlMappingNode node)
        {
            _scoringSeen = true;
            var medium = RequiredInt(node, "medium_threshold", 1, 1000);
            var high = RequiredInt(node, "high_threshold", 1, 1000);
            var errorWeight = RequiredInt(node, "stratum_error_weight", 0, 100);
            var maxLine = RequiredInt(node, "max_line_bytes", 256, 16 * 1024 * 1024);
            var budget = RequiredInt(node, "inspect_bytes_per_direction", 1024, int.MaxValue);
            CheckKeys(node, "kind", "medium_threshold", "high_threshold", "stratum_error_weight", "max_line_bytes", "inspect_bytes_per_direction");
            if (medium is null || high is null || errorWeight is null || maxLine is null || budget is null)
            {
                return;
            }
            if (high < medium)
            {
                Error(node.Children[new YamlScalarNode("high_threshold")], "high_threshold must not be below medium_threshold");
                return;
            }
            if (_scoring is not null)
            {
                Error(node, "scoring is defined in more than one file");
                return;
            }
            _scoring = new ScoringRule(medium.Value, high.Value, errorWeight.Value, maxLine.Value, budget.Value);
        }

        private IEnumerable<YamlMappingNode> RequiredList(YamlMappingNode root, string key)
        {
            CheckKeys(root, "kind", key);
            if (!root.Children.TryGetValue(new YamlScalarNode(key), out var value))
            {
                Error(root, $"missing '{key}' list");
                yield break;
            }
            if (value is not YamlSequenceNode sequence)
            {
                Error(value, $"'{key}' must be a list");
                yield break;
            }
            foreach (var item in sequence.Children)
            {
                if (item is YamlMappingNode mapping)
                {
                    yield return mapping;
                }
                else
                {
                    Error(item, $"each entry of '{key}' must be a mapping");
                }
            }
        }

        private string? RequiredString(YamlMappingNode node, string key)
        {
            var value = OptionalString(node, key);
            if (value is null && !node.Children.ContainsKey(new YamlScalarNode(key)))
            {
                Error(node, $"missing '{key}'");
            }
            return value;
        }

        private string? OptionalString(YamlMappingNode node, string key)
        {
            if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
            {
                return null;
            }
            if (value is not YamlScalarNode scalar || string.IsNullOrWhiteSpace(scalar.Value))
            {
                Error(value, $"'{key}' must be a non-empty text value");
                return null;
            }
            return scalar.Value;
        }

        private int? RequiredInt(YamlMappingNode node, string key, int min, int max)
        {
            var text = RequiredString(node, key);
            if (text is null)
            {
                return null;
            }
            if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                Error(node.Children[new YamlScalarNode(key)], $"'{key}' must be a whole number from {min} to {max}, not '{text}'");
                return null;
            }
            return value;
        }

        private T? RequiredEnum<T>(YamlMappingNode node, string key)
            where T : struct, Enum
        {
            var text = RequiredString(node, key);
            if (text is null)
            {
                return null;
            }
            foreach (var value in Enum.GetValues<T>())
            {
                if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }
            var names = string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant();
            Error(node.Children[new YamlScalarNode(key)], $"'{key}' must be one of {names}, not '{text}'");
            return null;
        }

        /// <summary>Unknown keys are errors: a misspelt key silently ignored is a rule that does not do what its author thinks.</summary>
        private void CheckKeys(YamlMappingNode node, params string[] allowed)
        {
            foreach (var key in node.Children.Keys)
            {
                if (key is not YamlScalarNode scalar || Array.IndexOf(allowed, scalar.Value) < 0)
                {
                    Error(key, $"unknown key '{(key as YamlScalarNode)?.Value ?? key.ToString()}' (allowed: {string.Join(", ", allowed)})");
                }
            }
        }

        private static int Line(YamlNode node) => (int)node.Start.Line;

        /// <summary>
        /// The first character YAML does not allow (YAML 1.2, 5.1: c-printable), with its line and
        /// column, or null. Checked before parsing because YamlDotNet reads U+0000 as the end of
        /// its input: a NUL inside a file ends it mid-structure, and its loader then throws
        /// exceptions that are no YamlException (an ArgumentException for "\0: s").
        /// </summary>
        private static (char Char, int Line, int Column)? NonPrintable(string text)
        {
            var line = 1;
            var column = 1;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                var printable = c is '\t' or '\n' or '\r' or '\u0085' or (>= '\u0020' and <= '\u007e') or (>= '\u00a0' and <= '\ud7ff') or (>= '\ue000' and <= '\ufffd')
                    || (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    || (char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]));
                if (!printable)
                {
                    return (c, line, column);
                }
                if (c == '\n')
                {
                    line++;
                    column = 1;
                }
                else
                {
                    column++;
                }
            }
            return null;
        }

        /// <summary>The line of the first [ or { (outside quotes and comments) that is never closed; 1 when none is found.</summary>
        private static int UnclosedBracketLine(string text)
        {
            var open = new Stack<int>();
            var line = 1;
            var quote = '\0';
            var comment = false;
            foreach (var c in text)
            {
                if (c == '\n')
                {
                    line++;
                    comment = false;
                    continue;
                }
                if (comment)
                {
                    continue;
                }
                if (quote != '\0')
                {
                    quote = c == quote ? '\0' : quote;
                    continue;
                }
                switch (c)
                {
                    case '"' or '\'':
                        quote = c;
                        break;
                    case '#':
                        comment = true;
                        break;
                    case '[' or '{':
                        open.Push(line);
                        break;
                    case ']' or '}' when open.Count > 0:
                        open.Pop();
                        break;
                }
            }
            var first = 1;
            while (open.Count > 0)
            {
                first = open.Pop();
            }
            return first;
        }

        private void Error(YamlNode node, string problem) => _errors.Add(new RuleError(_file, Line(node), problem));

        private void Error(int line, string problem) => _errors.Add(new RuleError(_file, line, problem));
    }
}
