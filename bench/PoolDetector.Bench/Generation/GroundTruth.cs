using System.Globalization;

namespace PoolDetector.Bench.Generation;

/// <summary>A mining flow the generator made: its TCP endpoints (the client is the miner), dialect and VLAN (0: untagged).</summary>
public sealed record MiningFlowTruth(string ClientIp, ushort ClientPort, string ServerIp, ushort ServerPort, string Dialect, ushort Vlan);

/// <summary>The mining flows of a generated capture as CSV beside it: <c>client_ip,client_port,server_ip,server_port,transport,dialect,vlan</c>.</summary>
public static class GroundTruth
{
    private const string Header = "client_ip,client_port,server_ip,server_port,transport,dialect,vlan";

    public static void Write(string path, IReadOnlyList<MiningFlowTruth> flows)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine(Header);
        foreach (var flow in flows)
        {
            writer.WriteLine($"{flow.ClientIp},{flow.ClientPort},{flow.ServerIp},{flow.ServerPort},tcp,{flow.Dialect},{flow.Vlan}");
        }
    }

    public static IReadOnlyList<MiningFlowTruth> Read(string path)
    {
        var flows = new List<MiningFlowTruth>();
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new FormatException($"{path}: not a ground truth file (expected the header {Header})");
        }
        for (var i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            if (cells.Length != 7)
            {
                throw new FormatException($"{path}:{i + 1}: expected 7 cells, found {cells.Length}");
            }
            flows.Add(new MiningFlowTruth(
                cells[0], ushort.Parse(cells[1], CultureInfo.InvariantCulture), cells[2], ushort.Parse(cells[3], CultureInfo.InvariantCulture),
                cells[5], ushort.Parse(cells[6], CultureInfo.InvariantCulture)));
        }
        return flows;
    }
}
