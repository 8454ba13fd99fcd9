using System.Buffers.Binary;

namespace PoolDetector.Core.Protocols.NodeP2p;

/// <summary>
/// Just enough of the secp256k1 curve (y² = x³ + 7 over the prime p = 2²⁵⁶ − 2³² − 977) to
/// tell whether 64 bytes are the coordinates of a point on it: the test that an RLPx handshake
/// really opens with an ECIES ephemeral public key. Random bytes pass with a chance of about
/// 2⁻²⁵⁶ (a random x has a point half the time, and then one y of 2²⁵⁶ matches), so a
/// length-prefixed frame of some other protocol that happens to have 0x04 in the right place
/// is still rejected. Fixed-size 256-bit arithmetic on four 64-bit limbs, nothing allocated.
/// </summary>
public static class Secp256k1
{
    public const int CoordinateBytes = 32;

    /// <summary>p, least significant limb first.</summary>
    private static ReadOnlySpan<ulong> Prime =>
    [
        0xFFFFFFFEFFFFFC2F, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF,
    ];

    /// <summary>2²⁵⁶ mod p = 2³² + 977: what a carry out of the top limb is worth.</summary>
    private const ulong Fold = 0x1000003D1;

    /// <summary>
    /// Whether <paramref name="point"/>, 64 bytes of big-endian x then y (an uncompressed
    /// public key without its 0x04 prefix), is a point on secp256k1.
    /// </summary>
    public static bool IsOnCurve(ReadOnlySpan<byte> point)
    {
        if (point.Length != 2 * CoordinateBytes)
        {
            return false;
        }
        Span<ulong> x = stackalloc ulong[4];
        Span<ulong> y = stackalloc ulong[4];
        Read(point[..CoordinateBytes], x);
        Read(point[CoordinateBytes..], y);
        if (!LessThanPrime(x) || !LessThanPrime(y))
        {
            return false;
        }
        Span<ulong> left = stackalloc ulong[4];
        Span<ulong> right = stackalloc ulong[4];
        Span<ulong> wide = stackalloc ulong[8];
        Multiply(y, y, wide, left);
        Multiply(x, x, wide, right);
        Multiply(right, x, wide, right);
        AddSmall(right, 7);
        return left.SequenceEqual(right);
    }

    private static void Read(ReadOnlySpan<byte> bigEndian, Span<ulong> limbs)
    {
        for (var i = 0; i < 4; i++)
        {
            limbs[i] = BinaryPrimitives.ReadUInt64BigEndian(bigEndian[((3 - i) * 8)..]);
        }
    }

    private static bool LessThanPrime(ReadOnlySpan<ulong> value)
    {
        var prime = Prime;
        for (var i = 3; i >= 0; i--)
        {
            if (value[i] != prime[i])
            {
                return value[i] < prime[i];
            }
        }
        return false;
    }

    /// <summary><paramref name="result"/> = a × b mod p (result may be a or b); <paramref name="wide"/> is scratch for the 512-bit product.</summary>
    private static void Multiply(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> wide, Span<ulong> result)
    {
        wide.Clear();
        for (var i = 0; i < 4; i++)
        {
            ulong carry = 0;
            for (var j = 0; j < 4; j++)
            {
                var product = ((UInt128)a[i] * b[j]) + wide[i + j] + carry;
                wide[i + j] = (ulong)product;
                carry = (ulong)(product >> 64);
            }
            wide[i + 4] = carry;
        }
        // high × 2²⁵⁶ ≡ high × Fold: fold the upper half into the lower one.
        ulong top = 0;
        for (var i = 0; i < 4; i++)
        {
            var sum = ((UInt128)wide[i + 4] * Fold) + wide[i] + top;
            result[i] = (ulong)sum;
            top = (ulong)(sum >> 64);
        }
        // What is left above 2²⁵⁶ is under 2³⁴: fold it once more, and a last carry (at most 1) after that.
        while (top != 0)
        {
            var carry = (UInt128)top * Fold;
            top = 0;
            for (var i = 0; i < 4 && carry != 0; i++)
            {
                var sum = result[i] + carry;
                result[i] = (ulong)sum;
                carry = sum >> 64;
            }
            top = (ulong)carry;
        }
        Normalise(result);
    }

    private static void AddSmall(Span<ulong> value, ulong addend)
    {
        UInt128 carry = addend;
        for (var i = 0; i < 4 && carry != 0; i++)
        {
            var sum = value[i] + carry;
            value[i] = (ulong)sum;
            carry = sum >> 64;
        }
        if (carry != 0)
        {
            // Past 2²⁵⁶ (value was within 7 of it): add the fold instead; the sum is tiny.
            AddSmall(value, Fold);
        }
        Normalise(value);
    }

    /// <summary>Brings a value below 2²⁵⁶ into [0, p).</summary>
    private static void Normalise(Span<ulong> value)
    {
        if (LessThanPrime(value))
        {
            return;
        }
        // value − p = value + (2²⁵⁶ − p) − 2²⁵⁶ = value + Fold, dropping the carry out.
        UInt128 carry = Fold;
        for (var i = 0; i < 4; i++)
        {
            var sum = value[i] + carry;
            value[i] = (ulong)sum;
            carry = sum >> 64;
        }
    }
}
