using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PacketDotNet;
using PoolDetector.Testing;

namespace PoolDetector.Tests.CaptureGeneration;

public sealed class GeneratedCapturesTests
{
    private const string RegenerateVariable = "POOLDETECTOR_REGENERATE_PCAPS";

    public static TheoryData<string> FileNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var capture in GeneratedCaptures.All)
            {
                data.Add(capture.FileName);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Generated_captures_match_the_committed_files(string fileName)
    {
        var generated = Find(fileName).Build();
        var path = Path.Combine(RepositoryPaths.Pcaps, fileName);

        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
        {
            File.WriteAllBytes(path, generated);
            return;
        }

        Assert.True(File.Exists(path), $"{path} is missing; to write it on purpose run the tests with {RegenerateVariable}=1");
        var committed = File.ReadAllBytes(path);
        var firstDifference = committed.AsSpan().CommonPrefixLength(generated);
        Assert.True(
            committed.Length == generated.Length && firstDifference == committed.Length,
            $"{fileName}: the generator ({generated.Length} bytes) and the committed file ({committed.Length} bytes) differ from byte " +
            $"{firstDifference}; if the change is intended, regenerate with {RegenerateVariable}=1 and update pcaps/README.md");
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Building_twice_gives_identical_bytes(string fileName)
    {
        var capture = Find(fileName);
        Assert.Equal(capture.Build(), capture.Build());
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Every_packet_decodes_with_valid_checksums(string fileName)
    {
        var packets = ReadPcap(Find(fileName).Build(), out var linkType);
        Assert.NotEmpty(packets);
        foreach (var (index, frame) in packets.Select((p, i) => (i, p)))
        {
            var packet = Packet.ParsePacket(linkType, frame);
            var tcp = packet.Extract<TcpPacket>();
            Assert.True(tcp is not null, $"{fileName} packet {index + 1}: no TCP inside");
            Assert.True(tcp.ValidChecksum, $"{fileName} packet {index + 1}: bad TCP checksum");
            if (packet.Extract<IPv4Packet>() is { } ipv4)
            {
                Assert.True(ipv4.ValidIPChecksum, $"{fileName} packet {index + 1}: bad IPv4 header checksum");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Each_direction_is_contiguous_and_acknowledged(string fileName)
    {
        // seq of every segment continues where the previous one of that direction ended, and
        // the peer's next ACK covers it: a reassembler must never see a gap or an overlap.
        var next = new Dictionary<string, uint>();
        var packets = ReadPcap(Find(fileName).Build(), out var linkType);
        foreach (var frame in packets)
        {
            var (key, reverse, tcp) = Decode(linkType, frame);
            if (next.TryGetValue(key, out var expected))
            {
                Assert.Equal(expected, tcp.SequenceNumber);
            }
            next[key] = tcp.SequenceNumber + (uint)tcp.PayloadData.Length + (tcp.Synchronize || tcp.Finished ? 1u : 0u);
            if (tcp.Acknowledgment && next.TryGetValue(reverse, out var peerNext))
            {
                Assert.Equal(peerNext, tcp.AcknowledgmentNumber);
            }
        }
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Reassembled_streams_are_whole_json_lines_or_http(string fileName)
    {
        var streams = new Dictionary<string, MemoryStream>();
        foreach (var frame in ReadPcap(Find(fileName).Build(), out var linkType))
        {
            var (key, _, tcp) = Decode(linkType, frame);
            if (!streams.TryGetValue(key, out var stream))
            {
                streams[key] = stream = new MemoryStream();
            }
            stream.Write(tcp.PayloadData);
        }

        var lines = 0;
        foreach (var (key, stream) in streams)
        {
            var text = Encoding.UTF8.GetString(stream.ToArray());
            if (text.Length == 0)
            {
                continue;
            }
            if (text.StartsWith("POST ", StringComparison.Ordinal) || text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            {
                foreach (var body in HttpBodies(text))
                {
                    using var _ = JsonDocument.Parse(body);
                    lines++;
                }
                continue;
            }
            Assert.True(text.EndsWith('\n'), $"{fileName} {key}: stream ends inside a line");
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var json = JsonDocument.Parse(line.TrimEnd('\r'));
                Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
                lines++;
            }
        }
        Assert.True(lines >= 4, $"{fileName}: only {lines} messages");
    }

    private static GeneratedCapture Find(string fileName) => GeneratedCaptures.All.Single(c => c.FileName == fileName);

    private static (string Key, string Reverse, TcpPacket Tcp) Decode(LinkLayers linkType, byte[] frame)
    {
        var packet = Packet.ParsePacket(linkType, frame);
        var ip = packet.Extract<IPPacket>() ?? throw new InvalidDataException("no IP packet");
        var tcp = packet.Extract<TcpPacket>() ?? throw new InvalidDataException("no TCP segment");
        var source = $"{ip.SourceAddress}:{tcp.SourcePort}";
        var destination = $"{ip.DestinationAddress}:{tcp.DestinationPort}";
        return ($"{source}>{destination}", $"{destination}>{source}", tcp);
    }

    private static IEnumerable<string> HttpBodies(string text)
    {
        var at = 0;
        while (at < text.Length)
        {
            var headerEnd = text.IndexOf("\r\n\r\n", at, StringComparison.Ordinal);
            Assert.True(headerEnd > 0, "HTTP message without end of headers");
            const string lengthHeader = "Content-Length: ";
            var lengthAt = text.IndexOf(lengthHeader, at, headerEnd - at, StringComparison.OrdinalIgnoreCase);
            Assert.True(lengthAt > 0, "HTTP message without Content-Length");
            var lengthEnd = text.IndexOf("\r\n", lengthAt, StringComparison.Ordinal);
            var length = int.Parse(text.AsSpan(lengthAt + lengthHeader.Length, lengthEnd - lengthAt - lengthHeader.Length));
            yield return text.Substring(headerEnd + 4, length);
            at = headerEnd + 4 + length;
        }
    }

    /// <summary>Reads classic little-endian microsecond pcap bytes (what <see cref="PcapWriter"/> writes).</summary>
    internal static List<byte[]> ReadPcap(byte[] pcap, out LinkLayers linkType)
    {
        Assert.Equal(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(pcap));
        linkType = (LinkLayers)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(20));
        var packets = new List<byte[]>();
        for (var at = 24; at < pcap.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(at + 8));
            packets.Add(pcap.AsSpan(at + 16, length).ToArray());
            at += 16 + length;
        }
        return packets;
    }
}
