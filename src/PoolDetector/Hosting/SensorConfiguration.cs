using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace PoolDetector.Hosting;

/// <summary>
/// Where the daemon's configuration comes from, in increasing precedence: the JSON file,
/// environment variables prefixed <c>POOLDETECTOR_</c>, the command line
/// (<c>--PoolDetector:MetricsPort=9475</c>); and reading <see cref="SensorOptions"/> out of
/// it with every problem collected (the binder stops at the first bad value, and says
/// nothing about a misspelt key, which then silently keeps its default).
/// </summary>
internal static class SensorConfiguration
{
    public const string DefaultFile = "/etc/pooldetector/pooldetector.json";
    public const string EnvironmentPrefix = "POOLDETECTOR_";

    /// <summary>
    /// Adds the sources to <paramref name="builder"/>. An explicit <paramref name="configFile"/>
    /// must exist; the default one may be absent (defaults apply).
    /// </summary>
    /// <returns>Null, or what is wrong with the file.</returns>
    public static string? AddSources(IConfigurationBuilder builder, string? configFile, IReadOnlyList<string> commandLine)
    {
        var file = Path.GetFullPath(configFile ?? DefaultFile);
        string? problem = null;
        if (configFile is not null && !File.Exists(file))
        {
            problem = Directory.Exists(file) ? $"--config {configFile}: is a directory, not a file" : $"--config {configFile}: no such file";
        }
        else if (File.Exists(file))
        {
            try
            {
                builder.AddJsonFile(file, optional: configFile is null, reloadOnChange: false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
            {
                // JSON syntax errors arrive as InvalidDataException with the line and position.
                problem = $"{file}: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}";
            }
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddCommandLine([.. commandLine]);
        return problem;
    }

    /// <summary>Reads section <c>PoolDetector</c>; each unknown key and unconvertible value is an error naming its key.</summary>
    public static SensorOptions Read(IConfiguration configuration, List<string> errors)
    {
        var options = new SensorOptions();
        var section = configuration.GetSection(SensorOptions.Section);
        var properties = typeof(SensorOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        foreach (var child in section.GetChildren())
        {
            var property = Array.Find(properties, p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            var key = child.Path;
            if (property is null)
            {
                errors.Add($"{key}: unknown option (known: {string.Join(", ", properties.Select(p => p.Name))})");
                continue;
            }
            if (property.PropertyType == typeof(List<string>))
            {
                property.SetValue(options, ReadList(child));
            }
            else if (property.PropertyType == typeof(string))
            {
                property.SetValue(options, child.Value ?? "");
            }
            else if (property.PropertyType == typeof(int))
            {
                if (int.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
                {
                    property.SetValue(options, number);
                }
                else
                {
                    errors.Add($"{key}: '{child.Value}' is not a whole number");
                }
            }
            else if (property.PropertyType == typeof(TimeSpan))
            {
                // hh:mm:ss with both colons: TimeSpan's parsers read a bare "60" as 60 days and
                // "1:00" as an hour, neither what an operator meant.
                if (child.Value is { } text && text.Count(c => c == ':') == 2
                    && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var duration))
                {
                    property.SetValue(options, duration);
                }
                else
                {
                    errors.Add($"{key}: '{child.Value}' is not a duration (hh:mm:ss, e.g. 00:01:00)");
                }
            }
            else if (property.PropertyType == typeof(bool))
            {
                if (bool.TryParse(child.Value, out var flag))
                {
                    property.SetValue(options, flag);
                }
                else
                {
                    errors.Add($"{key}: '{child.Value}' is not true or false");
                }
            }
        }
        return options;
    }

    /// <summary>A JSON array, <c>Interfaces__0=eth0</c> variables, or one comma-separated value (<c>--PoolDetector:Interfaces=eth0,eth1</c>).</summary>
    private static List<string> ReadList(IConfigurationSection section)
    {
        var items = new List<string>();
        if (section.Value is { } single)
        {
            foreach (var part in single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                items.Add(part);
            }
            return items;
        }
        // Children come back sorted as strings ("10" before "2"): order by index.
        foreach (var item in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            if (!string.IsNullOrWhiteSpace(item.Value))
            {
                items.Add(item.Value.Trim());
            }
        }
        return items;
    }
}
