using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Intel;
using PoolDetector.Core.Protocols.Dhcp;
using PoolDetector.Core.Protocols.Dns;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.Tls;
using PoolDetector.Core.Rules;

namespace PoolDetector.Fuzz.Targets;

/// <summary>
/// One fuzz target per parser, each taking any byte string. The program promises that bad
/// input gets a clear message and never a crash, so a target lets every exception escape
/// except the rejections the parser documents (<see cref="RuleLoadException"/> for rules;
/// a status, a problem string or an error list elsewhere, which throw nothing). It also
/// throws on a broken invariant the tests rely on (every frame counted, a payload inside its
/// frame, every alert valid JSON). The fuzzer (Program.cs) and the regression test
/// (tests/PoolDetector.Tests/Fuzz/) both run inputs through this class, so a crash found
/// once fails the tests until it is fixed.
/// </summary>
internal sealed class FuzzTargets
{
    public static readonly string[] Names = ["decoder", "engine", "tcp", "stratum", "http", "tls", "dns", "dhcp", "rules", "intel", "pcap", "reader"];

    public const ushort StratumPort = 3333;
    public const ushort HttpPort = 8332;
    public const ushort TlsPort = 443;
    public const ushort DnsPort = 53;

    /// <summary>Intel files are dated by this fixed day, so an allowlist entry's expiry does not depend on when the fuzzer runs.</summary>
    private static readonly DateTimeOffset Today = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private readonly List<(string Path, string Text)> _ruleFiles;
    private readonly PoolIntel _intel;
    private readonly RuleSet _rules;
    private readonly string _captureFile;

    /// <param name="rulesDirectory">The repository's rules/ (with intel/): loaded once, the engine's rules for every input.</param>
    public FuzzTargets(string rulesDirectory)
    {
        _ruleFiles = [.. Directory.GetFiles(rulesDirectory, "*.yml").Order(StringComparer.Ordinal).Select(f => (f, File.ReadAllText(f)))];
        _intel = PoolIntel.LoadDirectory(Path.Combine(rulesDirectory, RuleLoader.IntelDirectoryName), Today);
        _rules = RuleLoader.Load(_ruleFiles, _intel);
        _captureFile = Path.Combine(Path.GetTempPath(), $"pooldetector-fuzz-{Environment.ProcessId}.pcap");
    }

    public static bool IsTarget(string name) => Names.Contains(name, StringComparer.Ordinal);

    public void Run(string target, ReadOnlySpan<byte> input)
    {
        switch (target)
        {
            case "decoder": Decoder(input); break;
            case "engine": EngineFrames(input); break;
            case "tcp": TcpSegments(input); break;
            case "stratum": Stratum(input); break;
            case "http": Http(input); break;
            case "tls": Tls(input); break;
            case "dns": Dns(input); break;
            case "dhcp": Dhcp(input); break;
            case "rules": Rules(input); break;
            case "intel": Intel(input); break;
            case "pcap": Pcap(input); break;
            case "reader": Reader(input); break;
            default: throw new ArgumentException($"unknown fuzz target '{target}'; targets: {string.Join(", ", Names)}", nameof(target));
        }
    }

    /// <summary>[link type index][frame]: the fast decoder and the decoder of record.</summary>
    private static void Decoder(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        var link = InputFormats.LinkTypes[input[0] % InputFormats.LinkTypes.Length];
        var frame = input[1..];
        if (PacketDecoder.Decode(link, frame, out var packet) == DecodeStatus.Ok)
        {
            Check(packet.PayloadOffset >= 0 && packet.PayloadLength >= 0 && packet.PayloadOffset + packet.PayloadLength <= frame.Length,
                $"payload [{packet.PayloadOffset}, +{packet.PayloadLength}) outside a frame of {frame.Length} bytes");
        }
        ReferenceDecoder.Decode(link, frame, out _);
    }

    /// <summary>A frame sequence (see <see cref="InputFormats.ReadFrameSequence"/>) through the whole engine.</summary>
    private void EngineFrames(ReadOnlySpan<byte> input)
    {
        var (link, frames) = InputFormats.ReadFrameSequence(input);
        var run = new EngineRun(_rules);
        foreach (var frame in frames)
        {
            run.Engine.ProcessFrame(link, frame.Bytes, frame.Micros);
        }
        run.Finish();
    }

    /// <summary>
    /// One TCP flow to the Stratum port, segment by segment: [flags: bit 0 from the server,
    /// 1 SYN, 2 FIN, 3 RST, 4 ACK][i16 sequence offset from the sender's next byte][u8 time step,
    /// 100 ms][u8 length][payload]. Reordering, overlaps, gaps, retransmissions, wraparound
    /// (the client's first sequence number is just below 2^32) and the out-of-order timeout
    /// are all a few bytes away.
    /// </summary>
    private void TcpSegments(ReadOnlySpan<byte> input)
    {
        var run = new EngineRun(_rules);
        Span<uint> next = [0xFFFF_FF00u, 0x7FFF_FFF0u];
        var micros = InputFormats.StartMicros;
        while (input.Length >= 5)
        {
            var flags = input[0];
            var fromServer = (flags & 1) != 0;
            var offset = BinaryPrimitives.ReadInt16BigEndian(input[1..]);
            micros += input[3] * 100_000L;
            var length = Math.Min(input[4], input.Length - 5);
            var payload = input.Slice(5, length);
            input = input[(5 + length)..];

            var sender = fromServer ? 1 : 0;
            var sequence = unchecked(next[sender] + (uint)offset);
            byte tcpFlags = 0x08; // PSH
            tcpFlags |= (flags & 2) != 0 ? (byte)0x02 : (byte)0;
            tcpFlags |= (flags & 4) != 0 ? (byte)0x01 : (byte)0;
            tcpFlags |= (flags & 8) != 0 ? (byte)0x04 : (byte)0;
            tcpFlags |= (flags & 16) != 0 ? (byte)0x10 : (byte)0;
            var frame = Frames.Tcp(!fromServer, 50000, StratumPort, sequence, next[1 - sender], tcpFlags, payload);
            if (offset >= 0)
            {
                next[sender] = unchecked(sequence + (uint)length + ((flags & 2) != 0 ? 1u : 0u) + ((flags & 4) != 0 ? 1u : 0u));
            }
            run.Engine.ProcessFrame(LinkType.Ethernet, frame, micros);
        }
        run.Finish();
    }

    /// <summary>A conversation on the Stratum port through the engine, and each line through the JSON-RPC scanner.</summary>
    private void Stratum(ReadOnlySpan<byte> input)
    {
        var chunks = InputFormats.ReadConversation(input);
        Conversation(chunks, StratumPort);
        foreach (var stream in Streams(chunks))
        {
            var rest = stream.AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf((byte)'\n');
                var line = end < 0 ? rest : rest[..end];
                rest = end < 0 ? [] : rest[(end + 1)..];
                var message = default(JsonRpcMessage);
                if (JsonRpcScanner.Scan(line, ref message) == JsonScanResult.Ok && message.Method.Kind == JsonKind.String)
                {
                    JsonRpcScanner.DecodeString(line, message.Method);
                }
                message = default;
                // An HTTP body cut at the inspection budget is scanned as a block that is not final.
                JsonRpcScanner.Scan(line, ref message, isFinalBlock: false);
            }
        }
    }

    /// <summary>A conversation on the getwork port through the engine: request and response framing, headers, bodies.</summary>
    private void Http(ReadOnlySpan<byte> input) => Conversation(InputFormats.ReadConversation(input), HttpPort);

    /// <summary>A conversation on 443 through the engine, and each side's stream through the handshake parser and the fingerprints.</summary>
    private void Tls(ReadOnlySpan<byte> input)
    {
        var chunks = InputFormats.ReadConversation(input);
        Conversation(chunks, TlsPort);
        var streams = Streams(chunks);
        if (TlsHandshakeParser.ParseClientHello(streams[0], out var client) == TlsParseStatus.Complete && client is not null)
        {
            TlsFingerprints.Ja3(client);
            TlsFingerprints.Ja4(client);
            TlsShapes.Shape(client);
            TlsShapes.IsXmrigDefaultShape(client);
        }
        if (TlsHandshakeParser.ParseServerHello(streams[1], out var server) == TlsParseStatus.Complete && server is not null)
        {
            TlsFingerprints.Ja3s(server);
            if (server.Certificate is { } certificate)
            {
                TlsShapes.IsXmrigProxyCertificate(certificate);
            }
        }
    }

    /// <summary>
    /// Each chunk as a DNS datagram (UDP port 53) and the whole conversation as DNS over TCP,
    /// through the engine; each chunk through the message parser, each side's stream through
    /// the TCP length framing.
    /// </summary>
    private void Dns(ReadOnlySpan<byte> input)
    {
        var chunks = InputFormats.ReadConversation(input);
        {
            var run = new EngineRun(_rules);
            var micros = InputFormats.StartMicros;
            foreach (var chunk in chunks)
            {
                run.Engine.ProcessFrame(LinkType.Ethernet, Frames.Udp(!chunk.FromServer, 40053, DnsPort, chunk.Data), micros += 1000);
            }
            run.Finish();
        }
        Conversation(chunks, DnsPort);
        var handler = new DnsRecords();
        foreach (var chunk in chunks)
        {
            DnsMessageParser.Parse(chunk.Data, ref handler, out _);
        }
        foreach (var stream in Streams(chunks))
        {
            ReadOnlySpan<byte> rest = stream;
            while (DnsTcpFraming.TryRead(rest, out var message, out var consumed) == DnsTcpFrameStatus.Complete)
            {
                Check(consumed > 0 && consumed <= rest.Length, $"DNS over TCP consumed {consumed} of {rest.Length} bytes");
                DnsMessageParser.Validate(message, out _);
                rest = rest[consumed..];
            }
        }
    }

    /// <summary>Each chunk as a DHCPv4 and a DHCPv6 datagram through the engine (leases, names) and through both parsers.</summary>
    private void Dhcp(ReadOnlySpan<byte> input)
    {
        var chunks = InputFormats.ReadConversation(input);
        {
            var run = new EngineRun(_rules);
            var micros = InputFormats.StartMicros;
            foreach (var chunk in chunks)
            {
                run.Engine.ProcessFrame(LinkType.Ethernet, Frames.Udp(!chunk.FromServer, DhcpParser.ClientPortV4, DhcpParser.ServerPortV4, chunk.Data), micros += 1000);
                run.Engine.ProcessFrame(LinkType.Ethernet, Frames.Udp(!chunk.FromServer, DhcpParser.ClientPortV6, DhcpParser.ServerPortV6, chunk.Data), micros += 1000);
            }
            run.Finish();
        }
        foreach (var chunk in chunks)
        {
            if (DhcpParser.ParseV4(chunk.Data, out var v4) == DhcpParseStatus.Ok)
            {
                DhcpNames.Of(v4);
            }
            if (DhcpParser.ParseV6(chunk.Data, out var v6) == DhcpParseStatus.Ok)
            {
                DhcpNames.Of(v6);
            }
        }
    }

    /// <summary>
    /// [index of the repository's rule file to replace][its new text]: the whole rule set is
    /// loaded and validated with the repository's intel. A rejection must be a
    /// <see cref="RuleLoadException"/>; rules that load are then used on a short Stratum session.
    /// </summary>
    private void Rules(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        var files = new List<(string Path, string Text)>(_ruleFiles);
        var index = input[0] % files.Count;
        files[index] = (files[index].Path, Encoding.UTF8.GetString(input[1..]));
        RuleSet rules;
        try
        {
            rules = RuleLoader.Load(files, _intel);
        }
        catch (RuleLoadException e)
        {
            Check(e.Errors.Count > 0 && e.Errors.All(error => !string.IsNullOrWhiteSpace(error.Problem)), "a rule load failure without a problem to show");
            return;
        }
        var run = new EngineRun(rules);
        PlayConversation(run.Engine, SampleSession, StratumPort);
        run.Finish();
    }

    /// <summary>
    /// [format: intel .tsv, allowlist .tsv, .txt or .hosts][the file's text]: loaded (every bad
    /// line an error, nothing thrown), then every word of it looked up, then the rules loaded with it.
    /// </summary>
    private void Intel(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        string[] names = ["fuzz.tsv", "allowlist-fuzz.tsv", "fuzz.txt", "fuzz.hosts"];
        var text = Encoding.UTF8.GetString(input[1..]);
        var result = IntelLoader.Load([(names[input[0] % names.Length], text)], Today);
        Check(result.Errors.All(error => !string.IsNullOrWhiteSpace(error.Problem)), "an intel error without a problem to show");
        var intel = result.Intel;
        var day = DateOnly.FromDateTime(Today.UtcDateTime);
        foreach (var word in text.Split(['\t', ' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Take(256))
        {
            intel.Domains.TryMatch(word, out _);
            intel.Allowlist.IsAllowed(word, day);
            intel.Allowlist.IsWalletAllowed(word, day);
            if (IPAddress.TryParse(word, out var address))
            {
                var ip = IpAddress.FromIPAddress(address);
                intel.Addresses.TryMatch(ip, StratumPort, out _);
                intel.Allowlist.IsAllowed(ip, day);
            }
        }
        try
        {
            RuleLoader.Load(_ruleFiles, intel);
        }
        catch (RuleLoadException)
        {
            // Intel that contradicts the rules is a documented rejection.
        }
    }

    /// <summary>The input as a capture file, opened and read by the program's reader into the engine, as `analyze` does.</summary>
    private void Pcap(ReadOnlySpan<byte> input)
    {
        File.WriteAllBytes(_captureFile, input.ToArray());
        try
        {
            if (!CaptureFileReader.TryOpen(_captureFile, out var reader, out var problem))
            {
                Check(!string.IsNullOrWhiteSpace(problem), "a capture file refused without a problem to show");
                return;
            }
            using (reader)
            {
                var run = new EngineRun(_rules);
                var result = reader.ReadAll(run);
                Check(result.Packets == run.Engine.Counters.Frames, $"{result.Packets} packets read, {run.Engine.Counters.Frames} given to the engine");
                run.Finish();
            }
        }
        finally
        {
            File.Delete(_captureFile);
        }
    }

    /// <summary>
    /// The input as a capture file, read as analyze reads it (a classic pcap by the managed
    /// reader) and with libpcap only: the two must agree on whether it opens and why not, the
    /// link type, every frame and timestamp, and how and where reading stopped.
    /// </summary>
    private void Reader(ReadOnlySpan<byte> input)
    {
        File.WriteAllBytes(_captureFile, input.ToArray());
        try
        {
            var libpcap = ReaderComparison.Read(_captureFile, libpcapOnly: true);
            var managed = ReaderComparison.Read(_captureFile, libpcapOnly: false);
            var difference = ReaderComparison.Difference(libpcap, managed);
            Check(difference is null, $"the managed reader and libpcap disagree: {difference}");
        }
        finally
        {
            File.Delete(_captureFile);
        }
    }

    /// <summary>A few lines of an ordinary Stratum V1 session, for rule sets the fuzzer made.</summary>
    private static readonly Chunk[] SampleSession =
    [
        new(false, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n"u8.ToArray()),
        new(true, "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n"u8.ToArray()),
        new(false, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n"u8.ToArray()),
        new(true, "{\"id\":2,\"result\":true,\"error\":null}\n"u8.ToArray()),
        new(false, "{\"params\":[\"wallet.rig1\",\"0000000a\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":10,\"method\":\"mining.submit\"}\n"u8.ToArray()),
        new(true, "{\"id\":10,\"result\":true,\"error\":null}\n"u8.ToArray()),
    ];

    private void Conversation(List<Chunk> chunks, ushort serverPort)
    {
        var run = new EngineRun(_rules);
        PlayConversation(run.Engine, chunks, serverPort);
        run.Finish();
    }

    /// <summary>A TCP session: handshake, each chunk a segment from its side, FIN both ways.</summary>
    private static void PlayConversation(Engine engine, IReadOnlyList<Chunk> chunks, ushort serverPort)
    {
        const ushort clientPort = 50000;
        uint client = 1000, server = 5000;
        var micros = InputFormats.StartMicros;
        engine.ProcessFrame(LinkType.Ethernet, Frames.Tcp(true, clientPort, serverPort, client++, 0, 0x02, []), micros);
        engine.ProcessFrame(LinkType.Ethernet, Frames.Tcp(false, clientPort, serverPort, server++, client, 0x12, []), micros += 1000);
        engine.ProcessFrame(LinkType.Ethernet, Frames.Tcp(true, clientPort, serverPort, client, server, 0x10, []), micros += 1000);
        foreach (var chunk in chunks)
        {
            var frame = chunk.FromServer
                ? Frames.Tcp(false, clientPort, serverPort, server, client, 0x18, chunk.Data)
                : Frames.Tcp(true, clientPort, serverPort, client, server, 0x18, chunk.Data);
            if (chunk.FromServer)
            {
                server += (uint)chunk.Data.Length;
            }
            else
            {
                client += (uint)chunk.Data.Length;
            }
            engine.ProcessFrame(LinkType.Ethernet, frame, micros += 1000);
        }
        engine.ProcessFrame(LinkType.Ethernet, Frames.Tcp(true, clientPort, serverPort, client, server, 0x11, []), micros += 1000);
        engine.ProcessFrame(LinkType.Ethernet, Frames.Tcp(false, clientPort, serverPort, server, client + 1, 0x11, []), micros + 1000);
    }

    /// <summary>Each side's bytes in order: [0] the client's, [1] the server's.</summary>
    private static byte[][] Streams(List<Chunk> chunks) =>
    [
        [.. chunks.Where(c => !c.FromServer).SelectMany(c => c.Data)],
        [.. chunks.Where(c => c.FromServer).SelectMany(c => c.Data)],
    ];

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("fuzz invariant broken: " + what);
        }
    }

    /// <summary>Takes what the DNS parser reports and touches it, as the answer cache does.</summary>
    private struct DnsRecords : IDnsRecordHandler
    {
        private int _chars;

        public void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass) => _chars += name.Length;

        public void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl) => _chars += owner.Length;

        public void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl) => _chars += owner.Length + target.Length;
    }

    /// <summary>
    /// A fresh engine with a small flow table (a fuzz input holds few flows; the default table
    /// would cost more to build than the input costs to run), whose detections are written as
    /// EVE alerts and read back: every alert, whatever the input put in it, must be valid JSON.
    /// </summary>
    private sealed class EngineRun : IDetectionSink, IFrameSink
    {
        private readonly ArrayBufferWriter<byte> _eve = new();

        public EngineRun(RuleSet rules)
        {
            Engine = new Engine(rules, new EngineOptions { Flows = new FlowTableOptions { MaxFlows = 1024 } }, this);
        }

        public Engine Engine { get; }

        public void OnDetection(MiningDetection detection)
        {
            _eve.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_eve, EveJson.WriterOptions))
            {
                EveJson.WriteAlert(writer, detection);
            }
            using var document = JsonDocument.Parse(_eve.WrittenMemory);
            Check(document.RootElement.ValueKind == JsonValueKind.Object, "an EVE alert that is not a JSON object");
        }

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => Engine.ProcessFrame(linkType, frame, timestampMicros);

        public void Finish()
        {
            Engine.Finish();
            var counters = Engine.Counters;
            Check(counters.Frames == counters.Decoded + counters.NotDecoded.Sum(), $"{counters.Frames} frames, {counters.Decoded} decoded, {counters.NotDecoded.Sum()} not");
            Check(Engine.ActiveFlows == 0, $"{Engine.ActiveFlows} flows still open after the end");
        }
    }
}
