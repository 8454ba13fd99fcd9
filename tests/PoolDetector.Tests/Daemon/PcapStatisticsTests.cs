using System.Net;
using System.Net.Sockets;
using PoolDetector.Capture;
using PoolDetector.Tests.EndToEnd;
using SharpPcap;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// libpcap's counters as the daemon reads them (<see cref="LibPcapNative.TryGetStatistics"/>):
/// a capture on loopback that nobody reads, with the smallest kernel buffer, must lose packets
/// and say so in ps_drop. SharpPcap 6.3.1's <c>device.Statistics</c> reported 0 there (it reads
/// libpcap's three u_int as pointer-sized fields), so <c>kernel_dropped</c> stayed 0 while a
/// live replay lost 40% of its packets.
/// </summary>
public sealed class PcapStatisticsTests
{
    [EndToEndFact]
    public void Kernel_drops_of_an_unread_capture_are_counted()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        using var device = CaptureDevices.Find("lo") ?? throw new InvalidOperationException("no lo to capture on");
        device.Open(new DeviceConfiguration { Snaplen = 65535, BufferSize = 1024 * 1024, Immediate = true, ReadTimeout = 100 });
        device.Filter = $"udp dst port {port}";

        // 8 MB through a 1 MiB ring that is never read: most of it must be dropped.
        const int Datagrams = 6000;
        using var sender = new UdpClient();
        var payload = new byte[1400];
        for (var i = 0; i < Datagrams; i++)
        {
            sender.Send(payload, payload.Length, new IPEndPoint(IPAddress.Loopback, port));
            if (receiver.Available > 0)
            {
                // Keeps the receiving socket's own buffer from refusing datagrams (not the capture's concern).
                IPEndPoint? from = null;
                receiver.Receive(ref from);
            }
        }

        Assert.True(LibPcapNative.TryGetStatistics(device, out var received, out var dropped, out _));
        // Loopback shows each datagram twice (out and in).
        Assert.True(received >= Datagrams, $"ps_recv {received} for {Datagrams} datagrams sent");
        Assert.True(dropped > 0 && dropped < received, $"ps_drop {dropped} of ps_recv {received}: a 1 MiB ring nobody reads must drop some and keep some");
    }
}
