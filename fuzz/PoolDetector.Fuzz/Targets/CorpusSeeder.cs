using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PoolDetector.Capture;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Protocols.Dhcp;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Rules;

namespace PoolDetector.Fuzz.Targets;

/// <summary>
/// Seeds each target's corpus from real captures and the repository's rule files: frames for
/// the decoder, frame sequences for the engine, each TCP flow's segments and each UDP flow's
/// datagrams, sorted by what they hold (Stratum, HTTP, TLS, DNS, DHCP), small capture files,
/// rule and intel files. A fuzzer starting from real traffic reaches the deep paths in seconds
/// instead of hours. Seeds are written to a scratch folder and never committed: the shared
/// captures must not be copied into the repository.
/// </summary>
internal static class CorpusSeeder
{
    /// <summary>Seeds larger than this slow every fuzzing step; the first part of a flow holds its handshake anyway.</summary>
    public const int MaxSeedBytes = 16 * 1024;
    private const int MaxCaptureSeedBytes = 64 * 1024;
    private const int MaxIntelLines = 64;

    /// <summary>
    /// Up to <paramref name="max"/> seeds for <paramref name="target"/>, taken in turn from each
    /// source so that one large capture cannot crowd out the others; duplicates dropped.
    /// </summary>
    public static List<byte[]> Seeds(string target, IReadOnlyList<string> captureFiles, string rulesDirectory, int max)
    {
        var perSource = target switch
        {
            "rules" => RuleSeeds(rulesDirectory),
            "intel" => IntelSeeds(rulesDirectory),
            "pcap" => captureFiles.Select(CaptureSeeds).ToList(),
            "reader" => captureFiles.Select(file => ReaderSeeds(CaptureSeeds(file)[0])).ToList(),
            _ => captureFiles.Select(file => TrafficSeeds(target, ReadCapture(file))).ToList(),
        };
        var seeds = new List<byte[]>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; seeds.Count < max && perSource.Any(s => s.Count > round); round++)
        {
            foreach (var source in perSource)
            {
                if (round < source.Count && seeds.Count < max && seen.Add(Convert.ToHexString(SHA256.HashData(source[round]))))
                {
                    seeds.Add(source[round]);
                }
            }
        }
        return seeds;
    }

    /// <summary>The project's captures, and the shared ones where they are beside the repository (read in place).</summary>
    public static List<string> CaptureFiles(IEnumerable<string> directories) =>
    [
        .. directories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".pcap", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>
    /// A capture seed, and where it is a little-endian microsecond pcap (as the program writes
    /// them) its twins in the other byte order and with nanosecond timestamps: the managed reader's
    /// four header variants, each a few mutations from damage.
    /// </summary>
    private static List<byte[]> ReaderSeeds(byte[] capture)
    {
        var seeds = new List<byte[]> { capture };
        if (capture.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(capture) != 0xa1b2c3d4)
        {
            return seeds;
        }
        seeds.Add(RewritePcap(capture, bigEndian: true, nanoseconds: false));
        seeds.Add(RewritePcap(capture, bigEndian: false, nanoseconds: true));
        seeds.Add(RewritePcap(capture, bigEndian: true, nanoseconds: true));
        return seeds;
    }

    /// <summary>A little-endian microsecond pcap rewritten in <paramref name="bigEndian"/> order, nanoseconds if asked; a damaged tail is kept as it is.</summary>
    private static byte[] RewritePcap(byte[] pcap, bool bigEndian, bool nanoseconds)
    {
        var copy = (byte[])pcap.Clone();
        void Swap32(int offset)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(offset), BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset)));
            }
        }
        if (nanoseconds)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy, 0xa1b23c4d);
        }
        Swap32(0);
        foreach (var field in (int[])[4, 6])
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(field), BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(field)));
            }
        }
        Swap32(8);
        Swap32(12);
        Swap32(16);
        Swap32(20);
        var offset = 24;
        while (offset + 16 <= copy.Length)
        {
            var caplen = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset + 8));
            if (nanoseconds)
            {
                var micros = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset + 4));
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset + 4), unchecked(micros * 1000));
            }
            for (var field = 0; field < 16; field += 4)
            {
                Swap32(offset + field);
            }
            if (caplen > (uint)(copy.Length - offset - 16))
            {
                break;
            }
            offset += 16 + (int)caplen;
        }
        return copy;
    }

    private static List<List<byte[]>> RuleSeeds(string rulesDirectory)
    {
        var files = Directory.GetFiles(rulesDirectory, "*.yml").Order(StringComparer.Ordinal).ToList();
        return [.. files.Select((file, index) => Prefixed((byte)index, File.ReadAllBytes(file)))];
    }

    private static List<List<byte[]>> IntelSeeds(string rulesDirectory)
    {
        var directory = Path.Combine(rulesDirectory, RuleLoader.IntelDirectoryName);
        return
        [
            .. Directory.GetFiles(directory, "*.tsv").Order(StringComparer.Ordinal).Select(file =>
            {
                // The format byte as the target reads it: 0 intel, 1 allowlist.
                var format = Path.GetFileName(file).StartsWith("allowlist", StringComparison.OrdinalIgnoreCase) ? (byte)1 : (byte)0;
                var text = string.Join('\n', File.ReadLines(file).Take(MaxIntelLines)) + "\n";
                return Prefixed(format, Encoding.UTF8.GetBytes(text));
            }),
        ];
    }

    /// <summary>One seed: the target's selector byte, then the file.</summary>
    private static List<byte[]> Prefixed(byte selector, byte[] file) => [[selector, .. file]];

    /// <summary>A small capture as it is; a larger one cut to its first frames and written again by the program's own pcap writer.</summary>
    private static List<byte[]> CaptureSeeds(string file)
    {
        if (new FileInfo(file).Length <= MaxCaptureSeedBytes)
        {
            return [File.ReadAllBytes(file)];
        }
        var (link, frames) = ReadCapture(file);
        var path = Path.Combine(Path.GetTempPath(), $"pooldetector-seed-{Environment.ProcessId}.pcap");
        try
        {
            using (var writer = CaptureFileWriter.Create(path, link))
            {
                foreach (var frame in TakeBytes(frames, f => f.Bytes.Length + 16))
                {
                    writer.Write(frame.Bytes, frame.Micros);
                }
                writer.Close();
            }
            return [File.ReadAllBytes(path)];
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<byte[]> TrafficSeeds(string target, (LinkType Link, List<TimedFrame> Frames) capture)
    {
        var (link, frames) = capture;
        switch (target)
        {
            case "decoder":
                return [.. frames.Take(32).Select(f => InputFormats.WriteFrame(link, f.Bytes))];
            case "engine":
                return [InputFormats.WriteFrameSequence(link, TakeBytes(frames, f => f.Bytes.Length + 4))];
        }
        var seeds = new List<byte[]>();
        foreach (var flow in Flows(link, frames))
        {
            if (flow.Kind != target && !(target == "tcp" && flow.Transport == TransportProtocol.Tcp))
            {
                continue;
            }
            var chunks = TakeBytes(flow.Chunks, c => c.Data.Length + 2);
            seeds.Add(target == "tcp" ? TcpSegments(chunks) : InputFormats.WriteConversation(chunks));
        }
        return seeds;
    }

    /// <summary>The tcp target's layout (see FuzzTargets.TcpSegments): handshake, data in segments of up to 255 bytes, FIN both ways.</summary>
    private static byte[] TcpSegments(List<Chunk> chunks)
    {
        using var output = new MemoryStream();
        void Segment(byte flags, ReadOnlySpan<byte> payload)
        {
            output.WriteByte(flags);
            output.Write([0, 0, 1, (byte)payload.Length]);
            output.Write(payload);
        }
        Segment(0b0_0010, []);
        Segment(0b1_0011, []);
        Segment(0b1_0000, []);
        foreach (var chunk in chunks)
        {
            for (var offset = 0; offset < chunk.Data.Length; offset += 255)
            {
                Segment((byte)(0b1_0000 | (chunk.FromServer ? 1 : 0)), chunk.Data.AsSpan(offset, Math.Min(255, chunk.Data.Length - offset)));
            }
        }
        Segment(0b1_0100, []);
        Segment(0b1_0101, []);
        return output.ToArray();
    }

    private static List<T> TakeBytes<T>(IEnumerable<T> items, Func<T, int> size)
    {
        var taken = new List<T>();
        var total = 0;
        foreach (var item in items)
        {
            total += size(item);
            if (total > MaxSeedBytes && taken.Count > 0)
            {
                break;
            }
            taken.Add(item);
        }
        return taken;
    }

    private sealed record FlowSeed(TransportProtocol Transport, ushort ClientPort, ushort ServerPort, List<Chunk> Chunks)
    {
        /// <summary>The target this flow seeds, by its ports and first bytes, as the detector decides a flow's framing.</summary>
        public string Kind
        {
            get
            {
                if (DhcpParser.IsV4Ports(ClientPort, ServerPort) || DhcpParser.IsV6Ports(ClientPort, ServerPort))
                {
                    return "dhcp";
                }
                if (ClientPort == FuzzTargets.DnsPort || ServerPort == FuzzTargets.DnsPort)
                {
                    return "dns";
                }
                if (Transport != TransportProtocol.Tcp || Chunks.Count == 0)
                {
                    return "udp";
                }
                var first = Chunks[0];
                if (first.Data[0] == 0x16)
                {
                    return "tls";
                }
                return (first.FromServer ? HttpInspector.LooksLikeResponse(first.Data) : HttpInspector.LooksLikeRequest(first.Data)) ? "http" : "stratum";
            }
        }
    }

    /// <summary>
    /// Each flow's payloads in capture order, sides told by who spoke first (the SYN sender
    /// where there is one); a TCP segment already delivered (a retransmission) is skipped.
    /// </summary>
    private static List<FlowSeed> Flows(LinkType link, List<TimedFrame> frames)
    {
        var flows = new Dictionary<(TransportProtocol, IpAddress, ushort, IpAddress, ushort), (FlowSeed Flow, uint[] Next)>();
        var order = new List<FlowSeed>();
        foreach (var frame in frames)
        {
            if (PacketDecoder.Decode(link, frame.Bytes, out var p) != DecodeStatus.Ok)
            {
                continue;
            }
            var forward = (p.Transport, p.Source, p.SourcePort, p.Destination, p.DestinationPort);
            var reverse = (p.Transport, p.Destination, p.DestinationPort, p.Source, p.SourcePort);
            bool fromServer;
            if (flows.TryGetValue(forward, out var entry))
            {
                fromServer = false;
            }
            else if (flows.TryGetValue(reverse, out entry))
            {
                fromServer = true;
            }
            else
            {
                entry = (new FlowSeed(p.Transport, p.SourcePort, p.DestinationPort, []), new uint[2]);
                flows[forward] = entry;
                order.Add(entry.Flow);
                fromServer = false;
            }
            if (p.PayloadLength == 0)
            {
                continue;
            }
            if (p.Transport == TransportProtocol.Tcp)
            {
                var side = fromServer ? 1 : 0;
                var end = unchecked(p.Sequence + (uint)p.PayloadLength);
                if (entry.Next[side] != 0 && unchecked((int)(end - entry.Next[side])) <= 0)
                {
                    continue;
                }
                entry.Next[side] = end;
            }
            entry.Flow.Chunks.Add(new Chunk(fromServer, frame.Bytes.AsSpan(p.PayloadOffset, p.PayloadLength).ToArray()));
        }
        return order;
    }

    /// <summary>Every frame of a capture, read with the program's own reader; an unreadable file gives none.</summary>
    public static (LinkType Link, List<TimedFrame> Frames) ReadCapture(string file)
    {
        var sink = new CopyingSink();
        if (!CaptureFileReader.TryOpen(file, out var reader, out _))
        {
            return (LinkType.Ethernet, sink.Frames);
        }
        using (reader)
        {
            reader.ReadAll(sink);
            return (reader.LinkType, sink.Frames);
        }
    }

    internal sealed class CopyingSink : IFrameSink
    {
        public List<TimedFrame> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => Frames.Add(new TimedFrame(timestampMicros, frame.ToArray()));
    }
}
