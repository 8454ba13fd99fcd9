using System.Text.RegularExpressions;

namespace PoolDetector.Tests.Faults;

/// <summary>What a .NET stack trace leaves in a log: a frame, <c>at Namespace.Type.Method(</c>, on a line of its own or inside a single-line record.</summary>
internal static partial class StackTraces
{
    public static void AssertNone(string text)
    {
        Assert.DoesNotMatch(Frame(), text);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(^|\s)at [A-Za-z_][\w.`+<>\[\],]*\(", RegexOptions.Multiline)]
    private static partial Regex Frame();
}
