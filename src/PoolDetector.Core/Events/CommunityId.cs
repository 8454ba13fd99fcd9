using System.Buffers.Binary;
using System.Security.Cryptography;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Events;

/// <summary>
/// Community ID v1 (github.com/corelight/community-id-spec): a flow hash Zeek, Suricata,
/// Elastic and Security Onion all compute the same way, so an analyst can pivot from a
/// PoolDetector alert to the same flow in any of them.
/// </summary>
public static class CommunityId
{
    /// <summary>
    /// The v1 id of a port-carrying flow (TCP, UDP, SCTP). Direction does not matter: the
    /// endpoints are ordered before hashing, so both directions give the same id.
    /// </summary>
    public static string Compute(IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort, byte protocol, ushort seed = 0)
    {
        if (source.IsV4 != destination.IsV4)
        {
            throw new ArgumentException("Both endpoints must be of the same address family.", nameof(destination));
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        var length = source.WriteBytes(a);
        destination.WriteBytes(b);
        a = a[..length];
        b = b[..length];

        // The spec orders by address bytes, then by port when the addresses are equal.
        var order = a.SequenceCompareTo(b);
        if (order > 0 || (order == 0 && sourcePort > destinationPort))
        {
            var t = a;
            a = b;
            b = t;
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        // seed(2) | addr | addr | proto(1) | pad(1) | port(2) | port(2), all network order.
        Span<byte> input = stackalloc byte[2 + 16 + 16 + 1 + 1 + 2 + 2];
        var at = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        at += 2;
        a.CopyTo(input[at..]);
        at += length;
        b.CopyTo(input[at..]);
        at += length;
        input[at++] = protocol;
        input[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input[at..], sourcePort);
        at += 2;
        BinaryPrimitives.WriteUInt16BigEndian(input[at..], destinationPort);
        at += 2;

        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what the Community ID v1 spec mandates; it is an identifier, not a security control.
        SHA1.HashData(input[..at], digest);
#pragma warning restore CA5350
        return "1:" + Convert.ToBase64String(digest);
    }
}
