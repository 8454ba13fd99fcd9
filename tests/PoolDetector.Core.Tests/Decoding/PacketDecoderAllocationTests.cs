using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Core.Tests.Decoding;

public class PacketDecoderAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void Decoding_allocates_nothing_in_steady_state()
    {
        var frames = new List<(LinkType LinkType, byte[] Data)>();
        foreach (var file in CaptureCorpus.Files())
        {
            foreach (var frame in CaptureCorpus.Read(file))
            {
                if (CaptureCorpus.TryLinkType(frame, out var linkType))
                {
                    frames.Add((linkType, frame.Data));
                }
            }
        }
        if (RepositoryPaths.SharedPcaps is null)
        {
            output.WriteLine("../shared/pcaps is absent: measuring built frames and the repository's pcaps/ only.");
        }
        // Built frames cover the link types and headers the corpus may lack (QinQ, SLL2, loopback, extension headers).
        foreach (var (_, linkType, data) in BuiltFrames())
        {
            frames.Add((linkType, data));
        }

        const int passes = 3;
        var firstPass = DecodeAll(frames);
        var decoded = 0;
        var allocated = Allocations.LeastOver(passes, () => decoded += DecodeAll(frames));

        output.WriteLine($"{frames.Count} frames, {firstPass} decoded to TCP/UDP, {allocated} bytes allocated in the least of {passes} passes after the first.");
        Assert.True(firstPass > 0);
        Assert.Equal(passes * firstPass, decoded);
        Assert.Equal(0, allocated);
    }

    private static int DecodeAll(List<(LinkType LinkType, byte[] Data)> frames)
    {
        var decoded = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            if (PacketDecoder.Decode(frames[i].LinkType, frames[i].Data, out var packet) == DecodeStatus.Ok)
            {
                decoded += packet.PayloadLength >= 0 ? 1 : 0;
            }
        }
        return decoded;
    }

    private static IEnumerable<(string Name, LinkType LinkType, byte[] Data)> BuiltFrames()
    {
        var data = PacketDecoderRobustnessTests.ValidFrames();
        foreach (var row in data)
        {
            yield return ((string)row[0], (LinkType)row[1], (byte[])row[2]);
        }
    }
}
