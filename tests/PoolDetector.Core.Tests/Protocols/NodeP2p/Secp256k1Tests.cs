using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Protocols.NodeP2p;

public class Secp256k1Tests
{
    // The generator G (SEC 2, section 2.4.1).
    private const string GeneratorX = "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";
    private const string GeneratorY = "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8";

    // 2G, a second published point (the doubling of G).
    private const string TwoGX = "C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5";
    private const string TwoGY = "1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A";

    private const string Prime = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F";

    [Theory]
    [InlineData(GeneratorX, GeneratorY)]
    [InlineData(TwoGX, TwoGY)]
    public void Published_points_are_on_the_curve(string x, string y)
    {
        Assert.True(Secp256k1.IsOnCurve(Convert.FromHexString(x + y)));
    }

    [Fact]
    public void The_negated_point_is_on_the_curve_too()
    {
        // -G = (x, p - y).
        var p = System.Numerics.BigInteger.Parse("0" + Prime, System.Globalization.NumberStyles.HexNumber);
        var y = System.Numerics.BigInteger.Parse("0" + GeneratorY, System.Globalization.NumberStyles.HexNumber);
        var negated = (p - y).ToByteArray(isUnsigned: true, isBigEndian: true);
        var point = new byte[64];
        Convert.FromHexString(GeneratorX).CopyTo(point, 0);
        negated.CopyTo(point, 64 - negated.Length);
        Assert.True(Secp256k1.IsOnCurve(point));
    }

    [Fact]
    public void A_changed_coordinate_is_off_the_curve()
    {
        var point = Convert.FromHexString(GeneratorX + GeneratorY);
        for (var i = 0; i < point.Length; i++)
        {
            point[i] ^= 0x01;
            Assert.False(Secp256k1.IsOnCurve(point), $"byte {i}");
            point[i] ^= 0x01;
        }
    }

    [Fact]
    public void Coordinates_at_or_above_the_prime_are_refused()
    {
        // x = p is x = 0 in the field, but not a canonical encoding.
        Assert.False(Secp256k1.IsOnCurve(Convert.FromHexString(Prime + GeneratorY)));
        Assert.False(Secp256k1.IsOnCurve(Convert.FromHexString(new string('F', 128))));
        Assert.False(Secp256k1.IsOnCurve(new byte[64]));
        Assert.False(Secp256k1.IsOnCurve(new byte[63]));
    }

    [Fact]
    public void Random_points_are_off_the_curve()
    {
        var random = new Random(256);
        var point = new byte[64];
        for (var i = 0; i < 100_000; i++)
        {
            random.NextBytes(point);
            Assert.False(Secp256k1.IsOnCurve(point), Convert.ToHexString(point));
        }
    }

    [Fact]
    public void Allocates_nothing()
    {
        var point = Convert.FromHexString(GeneratorX + GeneratorY);
        Assert.True(Secp256k1.IsOnCurve(point));
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                _ = Secp256k1.IsOnCurve(point);
            }
        }));
    }
}
