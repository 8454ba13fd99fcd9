using System.Buffers.Binary;
using PoolDetector.Cli;
using PoolDetector.Tests.Cli;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Hostile;

/// <summary>
/// Captures with nothing in them, through the CLI. DESIGN.md's exit codes: 0 ran cleanly and
/// found nothing, 3 input unreadable or corrupt. A file that is a well-formed capture with no
/// packets ran cleanly; a file that is not a capture at all is unreadable.
/// </summary>
public sealed class EmptyCaptureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A pcapng section header block, little-endian, version 1.0, section length unknown, no options.</summary>
    internal static byte[] SectionHeaderBlock()
    {
        var block = new byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(block, 0x0a0d0d0a);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), 28);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8), 0x1a2b3c4d);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(12), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(14), 0);
        BinaryPrimitives.WriteInt64LittleEndian(block.AsSpan(16), -1);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(24), 28);
        return block;
    }

    [Fact]
    public void Zero_length_file_is_unreadable_with_a_clear_message()
    {
        var file = _dir.File("zero.pcap", []);

        var result = Cli.Cli.Run("analyze", file, "--rules", RepositoryPaths.Rules);

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        Assert.Contains($"{file}: empty file (0 bytes), not a capture", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("0 file(s) analysed, 1 unreadable, 0 packets", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcap_header_without_packets_is_clean_with_zero_packets()
    {
        var file = _dir.File("header-only.pcap", Captures.Pcap(1));
        Assert.Equal(24, new FileInfo(file).Length);

        var result = Cli.Cli.Run("analyze", file, "--rules", RepositoryPaths.Rules);

        Assert.Equal(ExitCodes.Clean, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains("1 file(s) analysed, 0 packets, 0 flows; detections: 0 mining", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// A pcapng section header and nothing else is a valid, empty pcapng file (a section may
    /// hold no interfaces), as a writer stopped before its first interface leaves it.
    /// libpcap refuses to open it ("no Interface Description Blocks"); the program reads it
    /// as zero packets.
    /// </summary>
    [Fact]
    public void Pcapng_section_header_without_interfaces_is_clean_with_zero_packets()
    {
        var file = _dir.File("shb-only.pcapng", SectionHeaderBlock());

        var result = Cli.Cli.Run("analyze", file, "--rules", RepositoryPaths.Rules);

        Assert.Equal(ExitCodes.Clean, result.ExitCode);
        Assert.Contains("1 file(s) analysed, 0 packets, 0 flows; detections: 0 mining", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A packet block before any interface is corrupt, not empty: still unreadable.</summary>
    [Fact]
    public void Pcapng_packet_block_without_an_interface_is_unreadable()
    {
        var packet = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(packet, 6); // Enhanced Packet Block
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(4), 32);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(28), 32);
        var file = _dir.File("epb-no-idb.pcapng", [.. SectionHeaderBlock(), .. packet]);

        var result = Cli.Cli.Run("analyze", file, "--rules", RepositoryPaths.Rules);

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        Assert.Contains($"{file}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("0 file(s) analysed, 1 unreadable", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Half a section header is not a capture: unreadable, and says so.</summary>
    [Fact]
    public void Truncated_pcapng_section_header_is_unreadable()
    {
        var file = _dir.File("shb-cut.pcapng", SectionHeaderBlock()[..20]);

        var result = Cli.Cli.Run("analyze", file, "--rules", RepositoryPaths.Rules, "--format", "jsonl");

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }
}
