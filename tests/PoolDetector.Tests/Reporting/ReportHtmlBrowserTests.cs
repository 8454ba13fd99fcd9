using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PoolDetector.Cli;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Reporting;

/// <summary>
/// The HTML report opened in a real browser, headless Chromium (Debian's <c>chromium</c>, which
/// scripts/install-test-dependencies.sh installs): the DOM it builds shows the hosts and
/// departments as text and holds the chart's bars; its screenshot is painted, bars included.
/// Without Chromium the test fails and says so: a report nobody has seen render is not tested.
/// </summary>
public sealed partial class ReportHtmlBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The chart's bar colour (HtmlReportWriter's <c>svg.trend .bar</c> fill).</summary>
    private const int BarColour = 0xc0392b;

    [Fact]
    public void Html_report_renders_in_headless_Chromium_with_its_hosts_and_one_bar_per_day()
    {
        var chromium = FindChromium();
        Assert.True(chromium is not null,
            "chromium is not installed, so the HTML report cannot be rendered: install Debian's chromium (scripts/install-test-dependencies.sh does, as ./test.sh runs it)");

        // Kept after the run on purpose: the report and its screenshot are this test's artefacts.
        var artefacts = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "pooldetector-report-test")).FullName;
        var html = Path.Combine(artefacts, "campus-report.html");
        var png = Path.Combine(artefacts, "campus-report.png");
        File.Delete(png);
        var report = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", ReportTestFiles.CampusInventory,
            "--format", "html", "--output", html);
        Assert.Equal((ExitCodes.Clean, ""), (report.ExitCode, report.Stderr));
        output.WriteLine($"report: {html}");

        // Self-contained: nothing to fetch, nothing to run.
        var source = File.ReadAllText(html);
        Assert.DoesNotMatch(ScriptElement(), source);
        Assert.DoesNotMatch(ExternalReference(), source);
        Assert.DoesNotContain("@import", source, StringComparison.Ordinal);
        Assert.DoesNotContain("@font-face", source, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", source, StringComparison.Ordinal);

        var uri = new Uri(html).AbsoluteUri;
        var dom = RunChromium(chromium, "--dump-dom", uri);
        RunChromium(chromium, $"--screenshot={png}", "--window-size=1280,2000", uri);
        output.WriteLine($"screenshot: {png}");

        // What a reader sees: every host and department, as rendered text.
        var text = RenderedText(dom);
        foreach (var expected in new[]
        {
            "10.10.1.15", "10.20.5.7", "10.20.9.9", "10.30.0.4", "10.99.0.5", "172.16.0.8", "2001:db8:10::20",
            "Physics", "Chemistry", "Chemistry, Teaching Lab", "Library", "(unassigned)", "phys-ws15", "Prof. Ada Lovelace",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
        // The hostile worker name is shown as text, and the browser built no script element from it.
        Assert.Contains("<script>alert(\"pwned\")</script>|*x*", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(ScriptElement(), dom);

        // The chart: one bar per day, tall in proportion to that day's mining hosts, flat on the day without.
        var bars = Bar().Matches(dom).Select(m => Attributes(m.Groups[1].Value)).ToList();
        Assert.Equal(["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"], bars.Select(b => b["data-day"]));
        var hosts = bars.Select(b => int.Parse(b["data-hosts"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([2, 3, 2, 0, 1], hosts);
        var heights = bars.Select(b => double.Parse(b["height"], CultureInfo.InvariantCulture)).ToList();
        var perHost = heights[1] / hosts[1];
        Assert.True(perHost > 10, $"a mining host is {perHost} units of bar height");
        for (var i = 0; i < bars.Count; i++)
        {
            Assert.Equal(hosts[i] * perHost, heights[i], 0.05);
        }

        // The screenshot: a painted page (not blank), with the bars' colour over a large area.
        var image = PngImage.Decode(File.ReadAllBytes(png));
        Assert.Equal((1280, 2000), (image.Width, image.Height));
        var colours = image.Pixels.Distinct().Count();
        var barPixels = image.Pixels.Count(p => p == BarColour);
        output.WriteLine($"screenshot: {image.Width}x{image.Height}, {colours} distinct colours, {barPixels} pixels of the bar colour");
        Assert.True(colours > 50, $"the screenshot has only {colours} distinct colour(s): blank or nearly");
        // Four bars, about 125 px wide and 8 x 67 px tall in all at this width: well over 20,000 pixels.
        Assert.True(barPixels > 20_000, $"only {barPixels} pixels of the bar colour: the chart did not render");
    }

    /// <summary>Chromium's own profile per run, in a scratch folder, so runs never share or lock one.</summary>
    private static string RunChromium(string chromium, params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("pooldetector-chromium-");
        try
        {
            using var run = ChildProcess.Run(chromium,
                ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profile.FullName}", .. args],
                BrowserTimeout);
            Assert.True(run.ExitCode == 0, $"chromium failed:\n{run.Describe()}");
            return run.Stdout;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private static string? FindChromium()
    {
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    /// <summary>The page's text as a reader sees it: no style sheet, tags gone, entities decoded.</summary>
    private static string RenderedText(string dom) =>
        WebUtility.HtmlDecode(Tag().Replace(StyleElement().Replace(dom, " "), " "));

    private static Dictionary<string, string> Attributes(string text) =>
        AttributePair().Matches(text).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex(@"<script\b", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptElement();

    /// <summary>Anything that would load from outside the file: src=, or href= other than an in-page #anchor.</summary>
    [GeneratedRegex(@"\b(src|href)\s*=\s*""(?!#)", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [GeneratedRegex(@"<rect class=""bar""([^>]*)>")]
    private static partial Regex Bar();

    [GeneratedRegex(@"([\w-]+)=""([^""]*)""")]
    private static partial Regex AttributePair();

    [GeneratedRegex(@"<style\b.*?</style>", RegexOptions.Singleline)]
    private static partial Regex StyleElement();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tag();
}
