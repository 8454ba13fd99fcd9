using System.Globalization;
using System.Net;

namespace PoolDetector.Bench.Running;

/// <summary>
/// A flow's two endpoints in a fixed order, so a tool that names the pool first and one that
/// names the miner first still match; addresses are parsed, since nDPI and .NET print IPv6
/// differently ("fd5e:ca4f:c::77c7" and "fd5e:ca4f:c:0:77c7").
/// </summary>
internal readonly record struct FlowEndpoints(string Low, string High)
{
    public static FlowEndpoints Of(string ipA, string portA, string ipB, string portB)
    {
        var a = Endpoint(ipA, portA);
        var b = Endpoint(ipB, portB);
        return string.CompareOrdinal(a, b) <= 0 ? new FlowEndpoints(a, b) : new FlowEndpoints(b, a);
    }

    public override string ToString() => Low + " <-> " + High;

    private static string Endpoint(string ip, string port)
    {
        ip = ip.Trim('[', ']');
        // ndpiReader 4.2 writes some IPv6 addresses with two "::" (fd5e:ca4f::53::1 for
        // fd5e:ca4f:0:53::1), which no parser can undo: kept as written, such a flow matches nothing.
        var address = IPAddress.TryParse(ip, out var parsed) ? parsed.ToString() : ip;
        return address + "/" + int.Parse(port, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
