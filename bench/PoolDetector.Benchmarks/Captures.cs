using PoolDetector.Core.Decoding;
using PoolDetector.Core.Rules;
using PoolDetector.Core.Tests.Decoding;
using PoolDetector.Testing;

namespace PoolDetector.Benchmarks;

/// <summary>One frame of a capture, with its link type and capture time.</summary>
internal readonly record struct Frame(LinkType Link, byte[] Data, long Micros);

/// <summary>
/// The project's own captures in <c>pcaps/</c> and rules in <c>rules/</c>: the benchmarks
/// measure what real traffic costs, not frames made up for them. Read once, in GlobalSetup.
/// </summary>
internal static class Captures
{
    private static readonly Lazy<RuleSet> LazyRules = new(() => RuleLoader.LoadDirectory(RepositoryPaths.Rules));

    /// <summary>The repository's rules, as <c>analyze</c> loads them by default.</summary>
    public static RuleSet Rules => LazyRules.Value;

    /// <summary>Every capture in <c>pcaps/</c>, in sorted order.</summary>
    public static IReadOnlyList<string> Files() =>
        [.. Directory.EnumerateFiles(RepositoryPaths.Pcaps, "*.pcap").Order(StringComparer.Ordinal)];

    /// <summary>The path of <c>pcaps/<paramref name="name"/></c>.</summary>
    public static string PathOf(string name) => Path.Combine(RepositoryPaths.Pcaps, name);

    /// <summary>The frames of a capture; throws when it has none, so a moved capture fails the setup loudly.</summary>
    public static List<Frame> Read(string path)
    {
        var frames = new List<Frame>();
        foreach (var captured in CaptureCorpus.Read(path))
        {
            if (!CaptureCorpus.TryLinkType(captured, out var link))
            {
                throw new InvalidOperationException($"{path}: link type {captured.LinkTypeNumber} is not supported");
            }
            frames.Add(new Frame(link, captured.Data, captured.Micros));
        }
        if (frames.Count == 0)
        {
            throw new InvalidOperationException($"{path}: no frames read (is libpcap installed? scripts/install-dependencies.sh)");
        }
        return frames;
    }
}
