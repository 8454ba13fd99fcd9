using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Outputs;
using PoolDetector.Testing;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// The EVE file's hold on a really full disk (a tmpfs the test mounts): what does not fit the
/// hold is dropped and counted, what does is written in order once there is room, and what is
/// still held at stop is counted as lost. Bound: a hold of 4 lines' worth.
/// </summary>
public sealed class EveHoldTests
{
    [EndToEndFact("mount", "umount")]
    public void Events_beyond_the_hold_are_dropped_and_counted_the_rest_written_in_order_when_there_is_room()
    {
        var directory = Directory.CreateTempSubdirectory("pooldetector-eve-hold-").FullName;
        try
        {
            using var disk = Tmpfs.Mount(Path.Combine(directory, "disk"), sizeKiB: 256);
            var path = Path.Combine(disk.Path, "eve.json");
            var status = new OutputStatus();
            var line = LineOf(port: 1);
            using (var sink = new EveFileSink(path, NullLogger.Instance, status, maxHeldBytes: 4 * line + line / 2))
            {
                sink.Open();
                sink.Write(Detection(1));
                var filler = disk.Fill();
                // Whatever still fits the file's last page is written; from the first refusal on, held.
                var port = 2;
                while (sink.Held == 0)
                {
                    sink.Write(Detection(port++));
                    Assert.True(port < 100, "the full disk took every line");
                }
                var firstHeld = port - 1;
                for (var i = 0; i < 6; i++)
                {
                    sink.Write(Detection(port++));
                }
                Assert.Equal(4, sink.Held);
                Assert.Equal(3, status.EveFileDropped);

                File.Delete(filler);
                // The room comes back when the last holder of the filler closes it, which may be a
                // child another test forked from this process at that moment, until its exec closes
                // the inherited descriptor (seen once in a full run: nothing written yet).
                var free = 0L;
                Assert.True(Wait.Until(() => (free = new DriveInfo(disk.Path).AvailableFreeSpace) >= 64 * 1024, TimeSpan.FromSeconds(10)), $"{free} bytes free after the filler was deleted");
                sink.Write(Detection(port));
                var ports = Ports(path);
                List<int> expected = [.. Enumerable.Range(1, firstHeld - 1), .. Enumerable.Range(firstHeld, 4), port];
                Assert.True(expected.SequenceEqual(ports),
                    $"ports {string.Join(",", ports)}, first held {firstHeld}, {free} bytes free, {sink.Held} held, {status.EveFileDropped} dropped");
                Assert.Equal(0, sink.Held);

                // Full again at stop: what is held then is lost, and counted.
                filler = disk.Fill();
                sink.Write(Detection(port + 1));
                sink.Write(Detection(port + 2));
                Assert.True(sink.Held > 0);
            }
            Assert.True(status.EveFileDropped > 3, $"{status.EveFileDropped}: what was held at stop is counted");
            Assert.All(File.ReadAllLines(path), l => JsonDocument.Parse(l).Dispose());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Core.Detection.MiningDetection Detection(int port) => SampleDetections.DesignExample with { MinerPort = (ushort)port };

    private static long LineOf(int port)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            Core.Events.EveJson.Write(writer, Detection(port), Core.Events.EveEventType.Alert);
        }
        return json.Length + 1;
    }

    private static List<int> Ports(string path) =>
        [.. File.ReadAllLines(path).Select(l => { using var d = JsonDocument.Parse(l); return d.RootElement.GetProperty("src_port").GetInt32(); })];
}
