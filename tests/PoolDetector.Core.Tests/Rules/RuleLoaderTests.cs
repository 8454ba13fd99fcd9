using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Rules;

public class RuleLoaderTests
{
    private static string Shipped(string name) => File.ReadAllText(Path.Combine(RepositoryPaths.Rules, name));

    private static List<(string, string)> ShippedWith(string name, string text)
    {
        var files = new List<(string, string)>();
        foreach (var file in Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(file);
            files.Add((fileName, fileName == name ? text : File.ReadAllText(file)));
        }
        if (!files.Exists(f => f.Item1 == name))
        {
            files.Add((name, text));
        }
        return files;
    }

    [Fact]
    public void Loads_the_shipped_rules()
    {
        var rules = RuleLoader.LoadDirectory(RepositoryPaths.Rules);
        Assert.Contains(rules.Methods, m => m.Name == "mining.subscribe" && m.Sender == MessageSender.Client);
        Assert.Contains(rules.Methods, m => m.Name == "login" && m.Dialect == "cryptonote");
        Assert.Contains(rules.Agents, a => a.Software == "XMRig");
        Assert.Equal(26, rules.Dialects.Count);
        Assert.All(rules.Dialects.Where(d => d.Id is "bitcoin-p2p" or "monero-levin" or "nano-node" or "ethereum-devp2p" or "ethereum-discv4"), d =>
        {
            Assert.Equal(3, d.Severity);
            Assert.Equal(DetectionCategory.CryptoNode, d.Category);
        });
        Assert.Equal(rules.Dialects.Count, rules.Dialects.Select(d => d.SignatureId).Distinct().Count());
        // Every pool-contact signal the detector knows has its dialect in the shipped rules.
        foreach (var signal in Enum.GetValues<ContactSignal>())
        {
            var dialect = rules.DialectsById[ContactEvidence.RuleOf(signal).Dialect];
            Assert.Equal(DetectionCategory.PoolContact, dialect.Category);
        }
        Assert.Equal(DetectionCategory.Mining, rules.DialectsById["stratum-v1"].Category);
        // The pool intel in rules/intel/ is loaded with the rules.
        Assert.True(rules.Intel.Domains.Count > 500);
        Assert.True(rules.Intel.Addresses.Count > 500);
    }

    [Theory]
    [InlineData("methods.yml", "name: mining.subscribe, dialect: stratum-v1,", "name: mining.subscribe, dialect: stratum-v9,", "unknown dialect 'stratum-v9'")]
    [InlineData("methods.yml", "shape: subscribe,", "shape: subscrib,", "unknown shape 'subscrib'")]
    [InlineData("methods.yml", "sender: client, role: subscribe", "sender: nobody, role: subscribe", "'sender' must be one of client, server")]
    [InlineData("methods.yml", "weight: 2, name_weight: 1, reply: subscribe-reply", "weight: two, name_weight: 1, reply: subscribe-reply", "'weight' must be a whole number")]
    [InlineData("methods.yml", "role: subscribe, shape", "role: subscribe, colour: red, shape", "unknown key 'colour'")]
    [InlineData("dialects.yml", "signature_id: 9000102", "signature_id: 9000101", "signature_id 9000101 is used twice")]
    [InlineData("agents.yml", "{pattern: xmrig,", "{pattern: xm,", "at least 3 characters")]
    [InlineData("scoring.yml", "high_threshold: 4", "high_threshold: 1", "high_threshold must not be below medium_threshold")]
    [InlineData("dialects.yml", "category: pool-contact\n\n  - id: pool-dns", "category: pool-contacts\n\n  - id: pool-dns", "unknown category 'pool-contacts'")]
    public void A_bad_rule_names_file_line_and_problem(string file, string find, string replace, string problem)
    {
        var original = Shipped(file);
        Assert.Contains(find, original, StringComparison.Ordinal);
        var broken = original.Replace(find, replace, StringComparison.Ordinal);
        var expectedLine = original[..original.IndexOf(find, StringComparison.Ordinal)].Count(c => c == '\n') + 1;

        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.Load(ShippedWith(file, broken)));

        var error = Assert.Single(e.Errors);
        Assert.Equal(file, error.File);
        Assert.Equal(expectedLine, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_syntax_errors_have_a_line()
    {
        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.Load(ShippedWith("extra.yml", "kind: agents\nagents:\n  - {pattern: [unclosed\n")));
        var error = Assert.Single(e.Errors);
        Assert.Equal("extra.yml", error.File);
        Assert.True(error.Line >= 3);
        Assert.StartsWith("YAML syntax", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_bracket_at_the_end_of_a_file_is_a_syntax_error_on_its_line()
    {
        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.Load(ShippedWith("extra.yml", "kind: agents\nagents:\n  - id: [unclosed\n    name: x\n")));
        var error = Assert.Single(e.Errors);
        Assert.Equal(new RuleError("extra.yml", 3, "YAML syntax: a [ or { is never closed"), error);
    }

    /// <summary>
    /// YAML allows only printable characters (tab and line breaks aside); YamlDotNet reads NUL as
    /// the end of its input and then threw an ArgumentException, not a YamlException (found by
    /// fuzzing: "\0: s"). Any such character is now a syntax error naming its line and column.
    /// </summary>
    [Theory]
    [InlineData("\0: s", 1, 1, "0000")]
    [InlineData("\0:\0\u0003", 1, 1, "0000")]
    [InlineData("kind: agents\nagents:\n  - {pattern: a\u0007b}\n", 3, 16, "0007")]
    [InlineData("kind: agents\n# a comment with \u001b[31m in it\nagents: []\n", 2, 18, "001B")]
    [InlineData("kind: agents\nagents: []\n\uffff", 3, 1, "FFFF")]
    public void A_character_yaml_does_not_allow_is_a_syntax_error_with_its_place(string text, int line, int column, string code)
    {
        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.Load(ShippedWith("extra.yml", text)));
        var error = Assert.Single(e.Errors);
        Assert.Equal(new RuleError("extra.yml", line, $"YAML syntax: character U+{code} at column {column} is not allowed in YAML (only tab, line breaks and printable characters are)"), error);
    }

    [Fact]
    public void Tabs_line_breaks_and_characters_beyond_ascii_are_allowed()
    {
        var rules = RuleLoader.Load(ShippedWith("extra.yml", "kind: agents\r\nagents:\t[]\r\n# Grüße, 矿池, \U0001F600\n"));
        Assert.NotNull(rules);
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.Load(ShippedWith("extra.yml", "kind: agents\nagents:\n  - {pattern: ab, software: x, match: prefix, weight: 1}\n  - {pattern: abcd, software: y, match: sometimes, weight: 1}\n")));
        Assert.Equal([3, 4], e.Errors.Select(x => x.Line));
    }

    [Fact]
    public void A_missing_directory_is_an_error_not_an_empty_rule_set()
    {
        var e = Assert.Throws<RuleLoadException>(() => RuleLoader.LoadDirectory(Path.Combine(Path.GetTempPath(), "no-such-rules-" + Guid.NewGuid())));
        Assert.Contains("does not exist", e.Errors[0].Problem, StringComparison.Ordinal);
    }
}
