using BenchmarkDotNet.Attributes;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Benchmarks;

/// <summary>Which of the captures' frames a decoder benchmark decodes.</summary>
public enum FrameMix
{
    /// <summary>Every frame of every capture in <c>pcaps/</c>, in file order (ARP, fragments and all): the realistic mix.</summary>
    All,
    /// <summary>Untagged Ethernet, IPv4, TCP: the common case.</summary>
    EthernetIpv4Tcp,
    /// <summary>802.1Q and QinQ tagged frames.</summary>
    Vlan,
    Ipv6,
    Udp,
    /// <summary>Linux cooked capture v1 and v2 (captures on <c>any</c>).</summary>
    LinuxCooked,
}

/// <summary>
/// <see cref="PacketDecoder.Decode"/> over the project's captures. One operation is one frame.
/// </summary>
[MemoryDiagnoser]
public class DecoderBenchmarks
{
    /// <summary>Frames decoded per invocation: the mix's frames repeated in order to this many, so every mix costs the same loop overhead.</summary>
    private const int FramesPerInvoke = 1024;

    private readonly LinkType[] _links = new LinkType[FramesPerInvoke];
    private readonly byte[][] _frames = new byte[FramesPerInvoke][];

    [Params(FrameMix.All, FrameMix.EthernetIpv4Tcp, FrameMix.Vlan, FrameMix.Ipv6, FrameMix.Udp, FrameMix.LinuxCooked)]
    public FrameMix Mix { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var picked = new List<Frame>();
        foreach (var file in Captures.Files())
        {
            foreach (var frame in Captures.Read(file))
            {
                var status = PacketDecoder.Decode(frame.Link, frame.Data, out var packet);
                if (Mix == FrameMix.All || (status == DecodeStatus.Ok && IsIn(Mix, frame.Link, packet)))
                {
                    picked.Add(frame);
                }
            }
        }
        if (picked.Count == 0)
        {
            throw new InvalidOperationException($"no frame of pcaps/ is {Mix}");
        }
        for (var i = 0; i < FramesPerInvoke; i++)
        {
            _links[i] = picked[i % picked.Count].Link;
            _frames[i] = picked[i % picked.Count].Data;
        }
    }

    private static bool IsIn(FrameMix mix, LinkType link, in DecodedPacket packet) => mix switch
    {
        FrameMix.EthernetIpv4Tcp => link == LinkType.Ethernet && packet.OuterVlan == 0 && packet.Source.IsV4 && packet.Transport == TransportProtocol.Tcp,
        FrameMix.Vlan => packet.OuterVlan != 0,
        FrameMix.Ipv6 => !packet.Source.IsV4,
        FrameMix.Udp => packet.Transport == TransportProtocol.Udp,
        FrameMix.LinuxCooked => link is LinkType.LinuxSll or LinkType.LinuxSll2,
        _ => true,
    };

    /// <returns>The payload bytes found, so the JIT cannot drop the work.</returns>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public long Decode()
    {
        long payload = 0;
        var links = _links;
        var frames = _frames;
        for (var i = 0; i < frames.Length; i++)
        {
            if (PacketDecoder.Decode(links[i], frames[i], out var packet) == DecodeStatus.Ok)
            {
                payload += packet.PayloadLength;
            }
        }
        return payload;
    }
}
