using System.Security.Cryptography;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// A network namespace of the test's own (<c>pdtest-RANDOM</c>; the live benchmark's are
/// <c>pdbench-RANDOM</c>, this file linked into it) holding a veth pair, both
/// ends up: <see cref="CaptureInterface"/> for the daemon, <see cref="ReplayInterface"/> for
/// tcpreplay. Replayed frames (whatever their addresses) exist only inside it: the namespace
/// has no route out and the veth has no peer outside. Deleted, with its interfaces, on Dispose.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public string CaptureInterface { get; } = "pdcap0";

    public string ReplayInterface { get; } = "pdrep0";

    public static NetworkNamespace Create(string prefix = "pdtest-")
    {
        var netns = new NetworkNamespace(prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Ip("netns", "add", netns.Name);
        try
        {
            netns.Exec("ip", "link", "set", "lo", "up");
            netns.Exec("ip", "link", "add", netns.CaptureInterface, "type", "veth", "peer", "name", netns.ReplayInterface);
            // No IPv6 on the pair: no router solicitations or DAD in the capture, only the replay.
            netns.Exec("sysctl", "-q", "-w", $"net.ipv6.conf.{netns.CaptureInterface}.disable_ipv6=1");
            netns.Exec("sysctl", "-q", "-w", $"net.ipv6.conf.{netns.ReplayInterface}.disable_ipv6=1");
            netns.Exec("ip", "link", "set", netns.CaptureInterface, "up");
            netns.Exec("ip", "link", "set", netns.ReplayInterface, "up");
            if (!Wait.Until(() => netns.IsUp(netns.CaptureInterface) && netns.IsUp(netns.ReplayInterface), TimeSpan.FromSeconds(5)))
            {
                throw new InvalidOperationException("the veth pair did not come up:\n" + netns.Exec("ip", "link", "show"));
            }
            return netns;
        }
        catch
        {
            netns.Dispose();
            throw;
        }
    }

    /// <summary>The command line that runs <paramref name="program"/> inside the namespace.</summary>
    public string[] Wrap(string program, params string[] args) => ["netns", "exec", Name, program, .. args];

    /// <summary>Runs a command inside the namespace; throws with its output unless it exits 0.</summary>
    public string Exec(string program, params string[] args) => Ip(Wrap(program, args));

    public void Dispose()
    {
        // Deleting the namespace deletes the veth pair inside it.
        using var delete = ChildProcess.Run(IpBinary, ["netns", "delete", Name], CommandTimeout);
    }

    public static string IpBinary => EndToEndPrerequisites.FindProgram("ip") ?? "ip";

    private bool IsUp(string name) => Exec("ip", "-o", "link", "show", name).Contains("LOWER_UP", StringComparison.Ordinal);

    private static string Ip(params string[] args)
    {
        using var run = ChildProcess.Run(IpBinary, args, CommandTimeout);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException("command failed:\n" + run.Describe());
        }
        return run.Stdout;
    }
}
