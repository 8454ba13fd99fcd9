using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// A network namespace of the test's own (<c>pdtest-RANDOM</c>; the live benchmark's are
/// <c>pdbench-RANDOM</c>, this file linked into it), deleted with its interfaces on Dispose.
/// <see cref="Create"/> gives it a veth pair, both ends up: <see cref="CaptureInterface"/> for
/// the daemon, <see cref="ReplayInterface"/> for tcpreplay. Replayed frames (whatever their
/// addresses) exist only inside it: the namespace has no route out and the veth has no peer
/// outside. <see cref="CreateBare"/> gives only loopback, for tests that build their own links
/// (<see cref="Ip"/>) and open sockets inside it (<see cref="Run{T}"/>).
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

    private NetworkNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>The daemon's end of the veth pair (<see cref="Create"/> only).</summary>
    public string CaptureInterface { get; } = "pdcap0";

    /// <summary>tcpreplay's end of the veth pair (<see cref="Create"/> only).</summary>
    public string ReplayInterface { get; } = "pdrep0";

    public static string IpBinary => EndToEndPrerequisites.FindProgram("ip") ?? "ip";

    /// <summary>A namespace with loopback up and the veth pair, both ends up.</summary>
    public static NetworkNamespace Create(string prefix = "pdtest-")
    {
        var netns = CreateBare(prefix);
        try
        {
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

    /// <summary>A namespace with only loopback, up.</summary>
    public static NetworkNamespace CreateBare(string prefix = "pdtest-")
    {
        var netns = new NetworkNamespace(prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Run(["netns", "add", netns.Name]);
        try
        {
            netns.Ip("link", "set", "lo", "up");
            return netns;
        }
        catch
        {
            netns.Dispose();
            throw;
        }
    }

    /// <summary>The command line (for <see cref="IpBinary"/>) that runs <paramref name="program"/> inside the namespace.</summary>
    public string[] Wrap(string program, params string[] args) => ["netns", "exec", Name, program, .. args];

    /// <summary>Runs a command inside the namespace; throws with its output unless it exits 0.</summary>
    public string Exec(string program, params string[] args) => Run(Wrap(program, args));

    /// <summary><c>ip -n NAME args</c>: its output; throws with ip's message unless it exits 0.</summary>
    public string Ip(params string[] args) => Run(["-n", Name, .. args]);

    /// <summary>
    /// Runs <paramref name="action"/> inside the namespace, on a thread of its own that joins
    /// it (setns acts on the calling thread only). A socket made there stays in the namespace
    /// whichever thread uses it afterwards.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/run/netns", Name));
                if (SetNs(handle, CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns {Name}: errno {Marshal.GetLastPInvokeError().ToString(CultureInfo.InvariantCulture)}");
                }
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"work in namespace {Name} did not finish");
        }
        if (failure is not null)
        {
            throw new InvalidOperationException($"in namespace {Name}: {failure.Message}", failure);
        }
        return result;
    }

    public void Dispose()
    {
        // Deleting the namespace deletes the interfaces inside it.
        using var delete = ChildProcess.Run(IpBinary, ["netns", "delete", Name], CommandTimeout);
    }

    private bool IsUp(string name) => Exec("ip", "-o", "link", "show", name).Contains("LOWER_UP", StringComparison.Ordinal);

    private static string Run(string[] args)
    {
        using var run = ChildProcess.Run(IpBinary, args, CommandTimeout);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException("command failed:\n" + run.Describe());
        }
        return run.Stdout;
    }

    // DllImport, not LibraryImport: the latter needs unsafe code enabled in the test project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(SafeFileHandle fd, int nstype);
#pragma warning restore SYSLIB1054
}
