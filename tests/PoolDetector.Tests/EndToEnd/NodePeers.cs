using System.Globalization;
using System.Text.RegularExpressions;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// A real Stratum V1 exchange that the project did not write: the npm package `stratum`
/// (pcaps/recording/stratum-server.js) as the pool and `stratum-client`
/// (pcaps/recording/stratum-miner.js) as the miner, over TCP on 127.0.0.1. The miner
/// subscribes, authorizes, gets set_difficulty + notify, submits two shares and leaves;
/// the server exits 0 once it has seen both shares.
/// </summary>
internal sealed partial class NodePeers
{
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MinerTimeout = TimeSpan.FromSeconds(30);

    public NodePeers(int serverPort, int clientPort, string serverOutput, string minerOutput)
    {
        ServerPort = serverPort;
        ClientPort = clientPort;
        ServerOutput = serverOutput;
        MinerOutput = minerOutput;
    }

    public int ServerPort { get; }

    /// <summary>The miner's ephemeral port, as the miner reported it on connect.</summary>
    public int ClientPort { get; }

    public string ServerOutput { get; }

    public string MinerOutput { get; }

    /// <summary>Runs one whole exchange on 127.0.0.1:<paramref name="serverPort"/>; throws with both programs' output if it fails.</summary>
    public static NodePeers Exchange(int serverPort)
    {
        var node = EndToEndPrerequisites.FindProgram("node") ?? "node";
        var directory = EndToEndPrerequisites.RecordingDirectory;
        var port = serverPort.ToString(CultureInfo.InvariantCulture);
        using var server = ChildProcess.Start(node, [Path.Combine(directory, "stratum-server.js"), "127.0.0.1", port], directory);
        if (!server.WaitForOutput("listening", ListenTimeout))
        {
            throw new InvalidOperationException("the stratum server did not start listening:\n" + server.Describe());
        }
        using var miner = ChildProcess.Start(node, [Path.Combine(directory, "stratum-miner.js"), "127.0.0.1", port], directory);
        var minerExit = miner.WaitForExit(MinerTimeout);
        // The server leaves by itself a moment after the miner disconnects (exit 0 after two shares).
        var serverExit = server.WaitForExit(TimeSpan.FromSeconds(10));
        if (minerExit != 0 || serverExit != 0)
        {
            throw new InvalidOperationException($"the stratum exchange failed (miner exit {minerExit}, server exit {serverExit}):\n{miner.Describe()}{server.Describe()}");
        }
        var match = ConnectedLine().Match(miner.Stdout);
        if (!match.Success)
        {
            throw new InvalidOperationException("the miner did not print its local port:\n" + miner.Describe());
        }
        return new NodePeers(serverPort, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), server.Stdout, miner.Stdout);
    }

    [GeneratedRegex(@"miner: connected to \S+ from port (\d+)")]
    private static partial Regex ConnectedLine();
}
