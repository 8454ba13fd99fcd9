using System.Globalization;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;

namespace PoolDetector.Evidence;

/// <summary>
/// Where a detection's evidence capture goes, relative to the evidence directory:
/// <c>yyyy-MM-dd/HHmmss-CID-MINER.PORT-POOL.PORT.pcap</c>, date and time those of the verdict
/// (UTC, packet time), CID the first 16 hex digits of the flow's Community ID hash (the same
/// flow gives the same name in <c>analyze</c> and in the daemon), addresses as tcpdump prints
/// them with IPv6's colons made underscores. Nothing in it comes from the traffic as text:
/// every character is a digit, a hex letter or <c>. _ -</c>, so no name can climb out of the
/// directory or surprise a shell. A name already taken gets <c>-2</c>, <c>-3</c>, ... before <c>.pcap</c>.
/// </summary>
internal static class EvidenceFileNames
{
    public const string Extension = ".pcap";

    /// <summary>The suffix of a file still being written: renamed to its name when complete, so a <c>.pcap</c> is always whole.</summary>
    public const string PartialSuffix = ".part";

    /// <summary>Names tried before giving up: a thousand flows with one tuple in one second is not traffic, it is an attack on this.</summary>
    private const int MaxAttempts = 1000;

    /// <summary>The relative path for <paramref name="detection"/>, the first one <paramref name="isTaken"/> does not refuse; null if all are.</summary>
    public static string? Choose(MiningDetection detection, Func<string, bool> isTaken)
    {
        ArgumentNullException.ThrowIfNull(detection);
        ArgumentNullException.ThrowIfNull(isTaken);
        var stem = Stem(detection);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var name = attempt == 1 ? stem + Extension : string.Create(CultureInfo.InvariantCulture, $"{stem}-{attempt}{Extension}");
            if (!isTaken(name))
            {
                return name;
            }
        }
        return null;
    }

    /// <summary>The name without the extension or a uniqueness suffix.</summary>
    public static string Stem(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var d = detection;
        var micros = Math.Clamp(d.TimestampMicros, 0, (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
        var time = DateTime.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
        var communityId = CommunityId.Compute(d.MinerAddress, d.MinerPort, d.PoolAddress, d.PoolPort, (byte)d.Transport);
        return string.Create(CultureInfo.InvariantCulture,
            $"{time:yyyy'-'MM'-'dd}/{time:HHmmss}-{HashHex(communityId)}-{Address(d.MinerAddress)}.{d.MinerPort}-{Address(d.PoolAddress)}.{d.PoolPort}");
    }

    /// <summary>The hash part of <c>1:BASE64</c> as hex: base64's <c>/</c> and <c>+</c> have no place in a file name.</summary>
    private static string HashHex(string communityId)
    {
        Span<byte> hash = stackalloc byte[32];
        var colon = communityId.IndexOf(':', StringComparison.Ordinal);
        return Convert.TryFromBase64String(communityId[(colon + 1)..], hash, out var length) && length >= 8
            ? Convert.ToHexStringLower(hash[..8])
            : "0000000000000000";
    }

    private static string Address(IpAddress address) => address.ToString().Replace(':', '_');
}
