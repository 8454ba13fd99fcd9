using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Hostile;

/// <summary>
/// One TCP connection's segments (Ethernet, IPv4) written into a single reused buffer, so a
/// flood of millions of packets or gigabytes of stream costs one frame of memory. Checksums
/// stay zero: the engine never checks them (real captures carry offload garbage there).
/// </summary>
internal sealed class SegmentWriter
{
    public const int PayloadOffset = 14 + 20 + 20;
    private const int SourceAddressOffset = 14 + 12;
    private const int SourcePortOffset = 14 + 20;

    private readonly byte[] _frame;
    private readonly byte[] _client;
    private readonly byte[] _server;
    private readonly ushort _clientPort;
    private readonly ushort _serverPort;
    private ushort _ipId;

    public SegmentWriter(string client, ushort clientPort, string server, ushort serverPort, int maxPayload = 1448)
    {
        _frame = new byte[PayloadOffset + maxPayload];
        _client = IPAddress.Parse(client).GetAddressBytes();
        _server = IPAddress.Parse(server).GetAddressBytes();
        _clientPort = clientPort;
        _serverPort = serverPort;
        BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(12), 0x0800);
    }

    /// <summary>Writes one segment and returns the frame; valid until the next call.</summary>
    public ReadOnlySpan<byte> Segment(bool fromClient, TcpFlags flags, uint seq, uint ack, ReadOnlySpan<byte> payload)
    {
        var ip = _frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], _ipId++);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
        ip[8] = 64;
        ip[9] = 6;
        (fromClient ? _client : _server).CopyTo(ip[12..]);
        (fromClient ? _server : _client).CopyTo(ip[16..]);
        var tcp = _frame.AsSpan(34, 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fromClient ? _clientPort : _serverPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fromClient ? _serverPort : _clientPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        payload.CopyTo(_frame.AsSpan(PayloadOffset));
        return _frame.AsSpan(0, PayloadOffset + payload.Length);
    }

    /// <summary>Rewrites the source address and port of the last frame written, for a flood from many sources.</summary>
    public ReadOnlySpan<byte> WithSource(uint address, ushort port, int frameLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_frame.AsSpan(SourceAddressOffset), address);
        BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(SourcePortOffset), port);
        return _frame.AsSpan(0, frameLength);
    }
}

/// <summary>Writes flood frame number <paramref name="index"/> and returns it (valid until the next call).</summary>
internal delegate ReadOnlySpan<byte> FloodFrame(long index);

/// <summary>Hostile traffic streamed into the real engine next to a real miner's capture.</summary>
internal static class Flood
{
    /// <summary>
    /// Feeds <paramref name="count"/> flood frames spread evenly over the time the miner's
    /// capture spans, and the miner's frames among them in time order, so the miner sees the
    /// flood at the rate a sensor would (count / span), not in one burst between two of its packets.
    /// <paramref name="afterEach"/> runs after every flood frame, for bounds checked throughout.
    /// </summary>
    public static void Interleave(Engine engine, IReadOnlyList<(LinkType Link, byte[] Frame, long Micros)> miner,
        long count, FloodFrame flood, Action? afterEach = null)
    {
        var first = miner[0].Micros;
        var span = miner[^1].Micros - first;
        var next = 0;
        for (long i = 0; i < count; i++)
        {
            var micros = first + (span * i / count);
            while (next < miner.Count && miner[next].Micros <= micros)
            {
                engine.ProcessFrame(miner[next].Link, miner[next].Frame, miner[next].Micros);
                next++;
            }
            engine.ProcessFrame(LinkType.Ethernet, flood(i), micros);
            afterEach?.Invoke();
        }
        for (; next < miner.Count; next++)
        {
            engine.ProcessFrame(miner[next].Link, miner[next].Frame, miner[next].Micros);
        }
    }

    /// <summary>The capture's frames, as the program reads the file.</summary>
    public static List<(LinkType Link, byte[] Frame, long Micros)> Capture(string name) =>
        Corpus.CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, name));

    /// <summary>The engine over the capture alone: what the flood runs must still report, and the counts they add to.</summary>
    public static Engine Alone(List<(LinkType Link, byte[] Frame, long Micros)> capture, out List<MiningDetection> detections)
    {
        var sink = new Corpus.CaptureRunner.CollectingSink();
        var engine = Corpus.CaptureRunner.RunEngine(capture, Corpus.CaptureRunner.Rules, sink);
        detections = sink.Detections;
        return engine;
    }

    /// <summary>
    /// Every event of the capture's golden file (pcaps/expected) is among <paramref name="detections"/>,
    /// field for field as <c>analyze --format jsonl</c> prints it, wallet, worker, shares and flow
    /// counts included. Only flow_id may differ: it numbers flows in creation order, flood flows too.
    /// </summary>
    public static void AssertGolden(string capture, IReadOnlyList<MiningDetection> detections)
    {
        var golden = File.ReadAllLines(Path.Combine(RepositoryPaths.Pcaps, "expected", Path.ChangeExtension(capture, ".jsonl")));
        Assert.NotEmpty(golden);
        foreach (var line in golden)
        {
            using var expected = JsonDocument.Parse(line);
            var ip = expected.RootElement.GetProperty("src_ip").GetString();
            var port = expected.RootElement.GetProperty("src_port").GetInt32();
            var actual = Assert.Single(detections, d => d.MinerPort == port && d.MinerAddress.ToString() == ip);
            Assert.Equal(WithoutFlowId(line), WithoutFlowId(EveJson.ToJson(actual, "pcaps/" + capture)));
        }
    }

    private static string WithoutFlowId(string eve) => Regex.Replace(eve, "\"flow_id\":[0-9]+,", "\"flow_id\":_,");

    /// <summary>Managed heap after a full, compacting collection.</summary>
    public static long HeapAfterFullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>
/// A TCP connection streamed through a <see cref="SegmentWriter"/> with its sequence numbers
/// tracked, for sessions too long to build as a capture (gigabytes, a 100 MB line).
/// </summary>
internal sealed class StreamedSession(SegmentWriter writer, uint clientIsn, uint serverIsn)
{
    /// <summary>Sequence number of the next byte each side sends.</summary>
    public uint ClientNext { get; private set; } = clientIsn + 1;
    public uint ServerNext { get; private set; } = serverIsn + 1;

    /// <summary>SYN, SYN+ACK, ACK at <paramref name="micros"/>, one microsecond apart.</summary>
    public void Handshake(Engine engine, long micros)
    {
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(true, TcpFlags.Syn, ClientNext - 1, 0, []), micros);
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(false, TcpFlags.Syn | TcpFlags.Ack, ServerNext - 1, ClientNext, []), micros + 1);
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(true, TcpFlags.Ack, ClientNext, ServerNext, []), micros + 2);
    }

    /// <summary>The next in-order segment from one side, acknowledging everything the other sent.</summary>
    public ReadOnlySpan<byte> Next(bool fromClient, ReadOnlySpan<byte> payload)
    {
        var frame = At(fromClient, fromClient ? ClientNext : ServerNext, payload);
        if (fromClient)
        {
            ClientNext += (uint)payload.Length;
        }
        else
        {
            ServerNext += (uint)payload.Length;
        }
        return frame;
    }

    /// <summary>A segment at <paramref name="seq"/>, for reordering, loss and retransmission; sequence tracking is left alone.</summary>
    public ReadOnlySpan<byte> At(bool fromClient, uint seq, ReadOnlySpan<byte> payload) =>
        writer.Segment(fromClient, TcpFlags.Psh | TcpFlags.Ack, seq, fromClient ? ServerNext : ClientNext, payload);

    /// <summary>A bare ACK from one side of everything up to <paramref name="ack"/>.</summary>
    public ReadOnlySpan<byte> Ack(bool fromClient, uint ack) =>
        writer.Segment(fromClient, TcpFlags.Ack, fromClient ? ClientNext : ServerNext, ack, []);

    /// <summary>Each line as one in-order segment, then the peer's ACK; returns the time after the last packet.</summary>
    public long Send(Engine engine, long micros, bool fromClient, params string[] lines)
    {
        foreach (var line in lines)
        {
            engine.ProcessFrame(LinkType.Ethernet, Next(fromClient, System.Text.Encoding.UTF8.GetBytes(line)), micros++);
        }
        engine.ProcessFrame(LinkType.Ethernet, Ack(!fromClient, fromClient ? ClientNext : ServerNext), micros++);
        return micros;
    }

    /// <summary>FIN from the client, FIN from the server, last ACK.</summary>
    public void Close(Engine engine, long micros)
    {
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(true, TcpFlags.Fin | TcpFlags.Ack, ClientNext, ServerNext, []), micros);
        ClientNext++;
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(false, TcpFlags.Fin | TcpFlags.Ack, ServerNext, ClientNext, []), micros + 1);
        ServerNext++;
        engine.ProcessFrame(LinkType.Ethernet, writer.Segment(true, TcpFlags.Ack, ClientNext, ServerNext, []), micros + 2);
    }
}
