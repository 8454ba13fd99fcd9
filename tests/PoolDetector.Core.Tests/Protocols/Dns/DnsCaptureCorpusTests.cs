using PoolDetector.Core.Decoding;
using PoolDetector.Core.Protocols.Dns;
using PoolDetector.Core.Tests.Decoding;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Core.Tests.Protocols.Dns;

/// <summary>
/// Every UDP port-53 payload in the shared captures: parsed without an exception, nearly all accepted.
/// The <c>fuzz-*</c> captures are mutated on purpose (Wireshark calls 82 of the 298 DNS packets of
/// fuzz-2006-06-26-2594.pcap malformed), so their rejections are printed but not held against the parser.
/// </summary>
public class DnsCaptureCorpusTests(ITestOutputHelper output)
{
    private const int DnsPort = 53;

    [Fact]
    public void Parses_every_udp_53_payload_in_the_shared_captures()
    {
        if (RepositoryPaths.SharedPcaps is null)
        {
            output.WriteLine("../shared/pcaps is absent: nothing to parse.");
            return;
        }
        var statuses = new int[Enum.GetValues<DnsParseStatus>().Length];
        var rejectedByFile = new Dictionary<string, int>();
        var fuzzedTotal = 0;
        var fuzzedRejected = 0;
        var handler = new CountingHandler();
        foreach (var file in CaptureCorpus.Files())
        {
            foreach (var frame in CaptureCorpus.Read(file))
            {
                if (!CaptureCorpus.TryLinkType(frame, out var linkType)
                    || PacketDecoder.Decode(linkType, frame.Data, out var packet) != DecodeStatus.Ok
                    || packet.Transport != TransportProtocol.Udp
                    || (packet.SourcePort != DnsPort && packet.DestinationPort != DnsPort))
                {
                    continue;
                }
                var payload = frame.Data.AsSpan(packet.PayloadOffset, packet.PayloadLength);
                var status = DnsMessageParser.Parse(payload, ref handler, out _);
                if (Path.GetFileName(file).StartsWith("fuzz-", StringComparison.Ordinal))
                {
                    fuzzedTotal++;
                    fuzzedRejected += status == DnsParseStatus.Ok ? 0 : 1;
                }
                statuses[(int)status]++;
                if (status != DnsParseStatus.Ok)
                {
                    var name = Path.GetRelativePath(RepositoryPaths.SharedPcaps, file);
                    rejectedByFile[name] = rejectedByFile.GetValueOrDefault(name) + 1;
                }
            }
        }

        var total = statuses.Sum();
        var accepted = statuses[(int)DnsParseStatus.Ok];
        output.WriteLine($"{total} UDP/53 payloads: {accepted} accepted, {total - accepted} rejected");
        for (var s = 1; s < statuses.Length; s++)
        {
            if (statuses[s] > 0)
            {
                output.WriteLine($"  {(DnsParseStatus)s}: {statuses[s]}");
            }
        }
        foreach (var (file, count) in rejectedByFile.OrderByDescending(p => p.Value))
        {
            output.WriteLine($"  rejected in {file}: {count}");
        }
        output.WriteLine($"reported: {handler.Questions} questions, {handler.Addresses} addresses, {handler.Cnames} cnames");

        var ordinaryTotal = total - fuzzedTotal;
        var ordinaryRejected = total - accepted - fuzzedRejected;
        output.WriteLine($"outside the fuzz captures: {ordinaryRejected} of {ordinaryTotal} rejected; in them: {fuzzedRejected} of {fuzzedTotal}");

        Assert.True(ordinaryTotal > 0);
        Assert.True(ordinaryRejected <= ordinaryTotal / 100, $"{ordinaryRejected} of {ordinaryTotal} ordinary payloads rejected");
        Assert.True(total - accepted <= total / 10, $"{total - accepted} of {total} rejected");
    }
}
