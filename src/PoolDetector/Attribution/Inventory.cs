using System.Text;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Attribution;

/// <summary>The unit responsible for a network, as the operator's inventory names it.</summary>
internal sealed record InventoryUnit(string Department, string? Owner, string? Contact);

/// <summary>
/// The operator's inventory: a CSV file with the header <c>cidr,department,owner,contact</c>,
/// one network per row (IPv4 or IPv6, a bare address for one host). Ranges may overlap: the most
/// specific one holding an address wins, so a faculty's /16 and one lab's /24 inside it can both
/// be listed. Blank lines and lines starting with <c>#</c> are skipped; cells follow RFC 4180
/// quoting (a department name may hold a comma). Any bad row rejects the whole file, each
/// problem named as <c>file:line: problem</c>: a half-loaded inventory would name the wrong unit.
/// </summary>
internal sealed class Inventory
{
    public const string Header = "cidr,department,owner,contact";

    /// <summary>A cell longer than this is a mistake (a pasted document), not a name or an address.</summary>
    private const int MaxCellLength = 256;

    private readonly PrefixTable<InventoryUnit> _table;

    private Inventory(string? path, PrefixTable<InventoryUnit> table)
    {
        Path = path;
        _table = table;
    }

    public static Inventory Empty { get; } = new(null, new PrefixTable<InventoryUnit>());

    /// <summary>The file it was read from; null for <see cref="Empty"/>.</summary>
    public string? Path { get; }

    public int Count => _table.Count;

    /// <summary>The unit of the most specific listed network holding <paramref name="address"/>.</summary>
    public bool TryFind(IpAddress address, out InventoryUnit unit) => _table.TryMatch(address, out _, out unit);

    /// <summary>Reads <paramref name="path"/>; null when it has problems, each added to <paramref name="errors"/>.</summary>
    public static Inventory? Load(string path, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path}: cannot be read: {e.Message}");
            return null;
        }
        return Parse(text, path, errors);
    }

    /// <summary>Parses the file's text; <paramref name="name"/> is how errors name the file.</summary>
    public static Inventory? Parse(string text, string name, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        var table = new PrefixTable<InventoryUnit>();
        var firstLine = new Dictionary<IpNetwork, int>();
        var sawHeader = false;
        var lineNumber = 0;
        var cells = new List<string>(4);
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (lineNumber == 1 && line.Length > 0 && line[0] == '\uFEFF')
            {
                // Spreadsheets save UTF-8 CSV with a byte order mark.
                line = line[1..];
            }
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (SplitRow(line, cells) is { } syntax)
            {
                errors.Add($"{name}:{lineNumber}: {syntax}");
                continue;
            }
            if (!sawHeader)
            {
                sawHeader = true;
                if (!string.Equals(string.Join(',', cells.Select(c => c.Trim())), Header, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{name}:{lineNumber}: the first row must be the header '{Header}'");
                    return null;
                }
                continue;
            }
            if (cells.Count != 4)
            {
                errors.Add($"{name}:{lineNumber}: {cells.Count} column(s); want 4 ({Header})");
                continue;
            }
            if (cells.Find(c => c.Length > MaxCellLength) is not null)
            {
                errors.Add($"{name}:{lineNumber}: a cell is longer than {MaxCellLength} characters");
                continue;
            }
            if (cells.Find(c => c.Any(char.IsControl)) is not null)
            {
                errors.Add($"{name}:{lineNumber}: a cell holds a control character");
                continue;
            }
            if (IpNetwork.TryParse(cells[0], out var network) is { } problem)
            {
                errors.Add($"{name}:{lineNumber}: {problem}");
                continue;
            }
            var department = cells[1].Trim();
            if (department.Length == 0)
            {
                errors.Add($"{name}:{lineNumber}: no department for {network}");
                continue;
            }
            if (!table.TryAdd(network, new InventoryUnit(department, NullIfEmpty(cells[2]), NullIfEmpty(cells[3]))))
            {
                errors.Add($"{name}:{lineNumber}: {network} is already listed on line {firstLine[network]}");
                continue;
            }
            firstLine[network] = lineNumber;
        }
        if (!sawHeader)
        {
            errors.Add($"{name}:1: empty: the first row must be the header '{Header}'");
        }
        return errors.Count == before ? new Inventory(System.IO.Path.GetFullPath(name), table) : null;
    }

    private static string? NullIfEmpty(string cell)
    {
        var trimmed = cell.Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    /// <summary>One RFC 4180 row (no line breaks inside quotes: one row, one line, so errors name it). Null, or the problem.</summary>
    private static string? SplitRow(string line, List<string> cells)
    {
        cells.Clear();
        var cell = new StringBuilder();
        var i = 0;
        while (true)
        {
            cell.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return "a quoted cell is not closed on its line";
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            cell.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    cell.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',')
                {
                    return "text after a quoted cell's closing quote";
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    if (line[i] == '"')
                    {
                        return "a quote inside an unquoted cell (quote the whole cell and double the quote)";
                    }
                    cell.Append(line[i++]);
                }
            }
            cells.Add(cell.ToString());
            if (i >= line.Length)
            {
                return null;
            }
            i++; // the comma
        }
    }
}
