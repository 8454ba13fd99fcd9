using System.Buffers.Binary;
using System.Diagnostics;
using PoolDetector.Cli;
using PoolDetector.Core;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>A scratch directory, deleted with its contents.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("pooldetector-tests-").FullName;
    }

    public string Path { get; }

    public string File(string name, byte[] content)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class Cli
{
    /// <summary>Runs the CLI in-process, as Program does, with stdout and stderr captured.</summary>
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CliApp.Run(args, new CliConsole(stdout, stderr, OutIsTerminal: false, ErrorIsTerminal: false));
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Runs the built executable as a separate process, <c>dotnet pooldetector.dll ...</c>,
    /// killed (and a TimeoutException) if it has not exited within a minute.
    /// </summary>
    public static CliResult RunProcess(params string[] args)
    {
        using var process = ChildProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "pooldetector.dll"), .. args], TimeSpan.FromSeconds(60));
        return new CliResult(process.ExitCode, process.Stdout, process.Stderr);
    }
}

internal static class Captures
{
    public static readonly byte[] TcpFrame = Convert.FromHexString(
        "00112233445566778899aabb0800" + // Ethernet, IPv4
        "4500002c000140004006" + "0000" + "0a010203" + "5e17c7bf" + // IPv4 10.1.2.3 -> 94.23.199.191, TCP
        "c8220d05" + "00000001" + "00000000" + "5002ffff" + "00000000" + // TCP 51234 -> 3333
        "41424344"); // payload

    /// <summary>A little-endian microsecond pcap with the given link type and frames, one second apart.</summary>
    public static byte[] Pcap(int linkType, params byte[][] frames)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        stream.Write(header);
        var seconds = 1_631_606_401u;
        Span<byte> record = stackalloc byte[16];
        foreach (var frame in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, seconds++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], 123_456);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame);
        }
        return stream.ToArray();
    }

    /// <summary>peafowl's stratum.pcap from ../shared, or null where that folder is absent.</summary>
    public static string? SharedStratum =>
        RepositoryPaths.SharedPcaps is { } shared ? Path.Combine(shared, "real", "peafowl", "stratum.pcap") : null;

    /// <summary>
    /// The first <paramref name="keepPackets"/> records of a little-endian pcap, then
    /// <paramref name="extraBytes"/> bytes of the next record: a capture cut mid-packet.
    /// </summary>
    public static byte[] CutAfter(byte[] pcap, int keepPackets, int extraBytes)
    {
        var offset = 24;
        for (var i = 0; i < keepPackets; i++)
        {
            offset += 16 + (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset + 8));
        }
        return pcap[..(offset + extraBytes)];
    }
}
