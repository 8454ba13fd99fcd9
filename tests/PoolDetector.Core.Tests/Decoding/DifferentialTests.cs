using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>
/// The fast path against the decoder of record on every packet of every corpus capture:
/// wherever PacketDotNet finds TCP or UDP, the fast path must agree on status and every field.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    [Fact]
    public void Fast_path_agrees_with_PacketDotNet_on_every_corpus_packet()
    {
        var files = CaptureCorpus.Files();
        if (RepositoryPaths.SharedPcaps is null)
        {
            if (files.Count == 0)
            {
                output.WriteLine("Skipped: ../shared/pcaps is absent and the repository's pcaps/ holds no capture.");
                return;
            }
            output.WriteLine("../shared/pcaps is absent: comparing the repository's pcaps/ only.");
        }
        var compared = 0;
        var comparedByLinkType = new SortedDictionary<LinkType, int>();
        var frames = 0;
        var unsupported = 0;
        var disagreements = new List<string>();
        var fastOnly = new List<string>();
        foreach (var file in files)
        {
            foreach (var frame in CaptureCorpus.Read(file))
            {
                frames++;
                if (!CaptureCorpus.TryLinkType(frame, out var linkType))
                {
                    unsupported++;
                    Assert.Equal(DecodeStatus.UnsupportedLinkType, PacketDecoder.Decode((LinkType)frame.LinkTypeNumber, frame.Data, out _));
                    continue;
                }
                var reference = ReferenceDecoder.Decode(linkType, frame.Data, out var expected);
                var fast = PacketDecoder.Decode(linkType, frame.Data, out var actual);
                if (reference != DecodeStatus.Ok)
                {
                    if (fast == DecodeStatus.Ok)
                    {
                        fastOnly.Add($"{Path.GetFileName(frame.File)} #{frame.Number} ({linkType}): reference {reference} fast {Describe(fast, actual)}");
                    }
                    continue;
                }
                compared++;
                comparedByLinkType[linkType] = comparedByLinkType.GetValueOrDefault(linkType) + 1;
                if (fast != DecodeStatus.Ok || !expected.Equals(actual))
                {
                    disagreements.Add($"{Path.GetFileName(frame.File)} #{frame.Number} ({linkType}): reference {Describe(reference, expected)} fast {Describe(fast, actual)}");
                }
            }
        }

        output.WriteLine($"{files.Count} captures, {frames} frames, {unsupported} of unsupported link types, {compared} TCP/UDP packets compared, {disagreements.Count} disagreements.");
        output.WriteLine("Compared by link type: " + string.Join(", ", comparedByLinkType.Select(p => $"{p.Key} {p.Value}")));
        foreach (var line in disagreements.Take(50))
        {
            output.WriteLine(line);
        }
        output.WriteLine($"{fastOnly.Count} packets only the fast path decodes:");
        foreach (var line in fastOnly.Take(50))
        {
            output.WriteLine(line);
        }
        Assert.Empty(disagreements);
        if (RepositoryPaths.SharedPcaps is not null)
        {
            // Guards against a reader that silently reads nothing.
            Assert.True(compared > 10_000, $"only {compared} packets compared");
        }
    }

    private static string Describe(DecodeStatus status, DecodedPacket p) =>
        status != DecodeStatus.Ok
            ? status.ToString()
            : $"{p.Transport} {p.Source}:{p.SourcePort} > {p.Destination}:{p.DestinationPort} vlan {p.OuterVlan}/{p.InnerVlan} " +
              $"flags {p.TcpFlags} seq {p.Sequence} ack {p.Acknowledgment} payload {p.PayloadOffset}+{p.PayloadLength}{(p.PayloadTruncated ? " truncated" : "")}";
}
