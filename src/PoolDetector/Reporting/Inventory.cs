using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoolDetector.Reporting;

/// <summary>One inventory line: a network and who answers for it.</summary>
internal sealed record InventoryEntry(IPNetwork Network, string Department, string? Owner, string? Contact, long Line);

/// <summary>
/// The operator's inventory for <c>report --inventory</c>: CSV lines <c>cidr,department,owner,contact</c>
/// (owner and contact may be left empty or out; a bare address is a /32 or /128), an optional
/// header line, <c>#</c> comments, RFC 4180 quoting for names with commas. Networks may overlap:
/// the most specific one that holds an address names its department, so a lab inside a faculty's
/// range can answer for itself.
/// </summary>
/// <remarks>
/// Kept in Reporting/ for now: the daemon's attribution is getting an inventory parser of its own
/// (src/PoolDetector/Attribution/), and the two should become one.
/// </remarks>
internal sealed class Inventory
{
    // Per address family, per prefix length, the networks by their masked address: a look-up
    // tries each length in use, longest first, instead of testing every line.
    private readonly Dictionary<(AddressFamily Family, int Length, UInt128 Network), InventoryEntry> _entries = [];
    private readonly int[] _lengthsV4;
    private readonly int[] _lengthsV6;

    private Inventory(List<InventoryEntry> entries)
    {
        foreach (var entry in entries)
        {
            _entries[Key(entry.Network.BaseAddress, entry.Network.PrefixLength)] = entry;
        }
        _lengthsV4 = Lengths(entries, AddressFamily.InterNetwork);
        _lengthsV6 = Lengths(entries, AddressFamily.InterNetworkV6);
    }

    public int Count => _entries.Count;

    /// <summary>The most specific entry holding <paramref name="address"/>, or null.</summary>
    public InventoryEntry? Find(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var lengths = address.AddressFamily == AddressFamily.InterNetwork ? _lengthsV4 : _lengthsV6;
        foreach (var length in lengths)
        {
            if (_entries.TryGetValue(Key(address, length), out var entry))
            {
                return entry;
            }
        }
        return null;
    }

    /// <summary>
    /// Parses the whole text; every bad line is named in <paramref name="problems"/> as
    /// <c>LINE: problem</c> and the inventory is null when there is any, because a report that
    /// silently files a lab under the wrong department is worse than none.
    /// </summary>
    public static Inventory? Parse(TextReader reader, List<string> problems)
    {
        var entries = new List<InventoryEntry>();
        var seen = new Dictionary<(AddressFamily, int, UInt128), long>();
        long number = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            number++;
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }
            if (!SplitCsv(trimmed, out var fields, out var csvProblem))
            {
                problems.Add($"{number}: {csvProblem}");
                continue;
            }
            if (entries.Count == 0 && seen.Count == 0 && fields[0].Equals("cidr", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (fields.Count is < 2 or > 4)
            {
                problems.Add($"{number}: {fields.Count} field(s); expected cidr,department,owner,contact (owner and contact may be empty)");
                continue;
            }
            if (!TryParseNetwork(fields[0], out var network, out var networkProblem))
            {
                problems.Add($"{number}: {networkProblem}");
                continue;
            }
            if (fields[1].Length == 0)
            {
                problems.Add($"{number}: no department for {fields[0]}");
                continue;
            }
            var key = Key(network.BaseAddress, network.PrefixLength);
            if (seen.TryGetValue(key, out var earlier))
            {
                problems.Add($"{number}: {network} is already listed on line {earlier}");
                continue;
            }
            seen[key] = number;
            entries.Add(new InventoryEntry(network, fields[1],
                fields.Count > 2 && fields[2].Length > 0 ? fields[2] : null,
                fields.Count > 3 && fields[3].Length > 0 ? fields[3] : null,
                number));
        }
        return problems.Count > 0 ? null : new Inventory(entries);
    }

    private static bool TryParseNetwork(string text, out IPNetwork network, out string? problem)
    {
        network = default;
        problem = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            problem = $"'{text}' is not a network (10.1.0.0/16, 2001:db8:10::/48 or a single address)";
            return false;
        }
        var maxLength = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = maxLength;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out length) || length > maxLength))
        {
            problem = $"'{text}': the prefix length must be 0-{maxLength}";
            return false;
        }
        network = new IPNetwork(Mask(address, length), length);
        if (!network.BaseAddress.Equals(address))
        {
            // Most often a typo (10.1.2.0/16 meant as 10.1.0.0/16 or 10.1.2.0/24): ask rather than guess.
            problem = $"'{text}' has host bits set: did you mean {network}?";
            return false;
        }
        return true;
    }

    /// <summary>One CSV line (RFC 4180 quotes, fields trimmed); false with the problem on an unclosed quote.</summary>
    private static bool SplitCsv(string line, out List<string> fields, out string? problem)
    {
        fields = [];
        problem = null;
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        problem = "a quoted field is not closed";
                        return false;
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                while (i < line.Length && line[i] != ',')
                {
                    if (line[i] != ' ')
                    {
                        problem = "text after a quoted field";
                        return false;
                    }
                    i++;
                }
                fields.Add(field.ToString());
            }
            else
            {
                var comma = line.IndexOf(',', i);
                var end = comma < 0 ? line.Length : comma;
                fields.Add(line[i..end].Trim());
                i = end;
            }
            if (i >= line.Length)
            {
                return true;
            }
            i++; // the comma
        }
    }

    private static int[] Lengths(List<InventoryEntry> entries, AddressFamily family) =>
        entries.Where(e => e.Network.BaseAddress.AddressFamily == family)
            .Select(e => e.Network.PrefixLength).Distinct().OrderDescending().ToArray();

    private static (AddressFamily, int, UInt128) Key(IPAddress address, int length) =>
        (address.AddressFamily, length, ToNumber(Mask(address, length)));

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        UInt128 number = 0;
        foreach (var b in address.GetAddressBytes())
        {
            number = (number << 8) | b;
        }
        return number;
    }
}
