using System.Buffers.Binary;
using System.Numerics;

namespace PoolDetector.Core.Protocols.NodeP2p;

/// <summary>
/// Keccak-256 as Ethereum uses it: the Keccak-f[1600] sponge with rate 136 bytes, capacity
/// 512 bits and the original Keccak padding (first pad byte 0x01). Not SHA3-256, which pads
/// with 0x06 and so gives other digests: .NET's <c>SHA3_256</c> cannot stand in for it.
/// One call hashes one whole message; the state lives on the stack, nothing is allocated.
/// </summary>
/// <remarks>
/// Written here rather than taken from a package: BouncyCastle.Cryptography (whose
/// <c>KeccakDigest</c> would do) is a multi-megabyte assembly of which one class would be used,
/// and the permutation is a page of code checked against the published test vectors.
/// </remarks>
public static class Keccak256
{
    public const int HashBytes = 32;

    /// <summary>Bytes absorbed per permutation: (1600 - 2 × 256) / 8.</summary>
    public const int RateBytes = 136;

    private const int RateLanes = RateBytes / 8;

    /// <summary>The round constants of the iota step, rounds 0..23.</summary>
    private static ReadOnlySpan<ulong> RoundConstants =>
    [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
        0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
        0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ];

    /// <summary>The rho rotation of each lane, in the order the pi step visits them.</summary>
    private static ReadOnlySpan<byte> Rotations =>
    [
        1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
    ];

    /// <summary>The lane the pi step moves each visited lane to (index x + 5y).</summary>
    private static ReadOnlySpan<byte> PiLanes =>
    [
        10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
    ];

    /// <summary>Writes keccak256(<paramref name="data"/>) to the first 32 bytes of <paramref name="destination"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < HashBytes)
        {
            throw new ArgumentException("The destination holds fewer than 32 bytes.", nameof(destination));
        }
        Span<ulong> state = stackalloc ulong[25];
        state.Clear();
        while (data.Length >= RateBytes)
        {
            Absorb(state, data[..RateBytes]);
            Permute(state);
            data = data[RateBytes..];
        }
        // The last, partial block with Keccak's multi-rate padding: 0x01 after the message,
        // 0x80 in the block's last byte (both in one byte, 0x81, when only one is left).
        Span<byte> last = stackalloc byte[RateBytes];
        last.Clear();
        data.CopyTo(last);
        last[data.Length] ^= 0x01;
        last[RateBytes - 1] ^= 0x80;
        Absorb(state, last);
        Permute(state);
        for (var i = 0; i < HashBytes / 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(i * 8)..], state[i]);
        }
    }

    /// <summary>Whether <paramref name="expected"/> (32 bytes) is keccak256(<paramref name="data"/>).</summary>
    public static bool Matches(ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> digest = stackalloc byte[HashBytes];
        Hash(data, digest);
        return expected.Length == HashBytes && digest.SequenceEqual(expected);
    }

    private static void Absorb(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        for (var i = 0; i < RateLanes; i++)
        {
            state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        }
    }

    /// <summary>Keccak-f[1600]: 24 rounds of theta, rho and pi, chi, iota over 25 64-bit lanes (lane x + 5y).</summary>
    private static void Permute(Span<ulong> a)
    {
        Span<ulong> c = stackalloc ulong[5];
        var rotations = Rotations;
        var piLanes = PiLanes;
        var roundConstants = RoundConstants;
        for (var round = 0; round < 24; round++)
        {
            // theta: each lane absorbs the parities of two neighbouring columns.
            for (var x = 0; x < 5; x++)
            {
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            }
            for (var x = 0; x < 5; x++)
            {
                var d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (var y = 0; y < 25; y += 5)
                {
                    a[y + x] ^= d;
                }
            }
            // rho and pi: rotate each lane and move it to its new place, following the cycle from lane 1.
            var carried = a[1];
            for (var i = 0; i < 24; i++)
            {
                var j = piLanes[i];
                var next = a[j];
                a[j] = BitOperations.RotateLeft(carried, rotations[i]);
                carried = next;
            }
            // chi: the only non-linear step, row by row.
            for (var y = 0; y < 25; y += 5)
            {
                for (var x = 0; x < 5; x++)
                {
                    c[x] = a[y + x];
                }
                for (var x = 0; x < 5; x++)
                {
                    a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
                }
            }
            // iota
            a[0] ^= roundConstants[round];
        }
    }
}
