using System.Text;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Protocols.NodeP2p;

public class Keccak256Tests
{
    private static string Hash(ReadOnlySpan<byte> data)
    {
        var digest = new byte[Keccak256.HashBytes];
        Keccak256.Hash(data, digest);
        return Convert.ToHexStringLower(digest);
    }

    private static byte[] Sequence(int length, Func<int, int> at)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)at(i);
        }
        return bytes;
    }

    [Fact]
    public void The_published_vectors()
    {
        // The Keccak team's and Ethereum's well-known values (keccak256("") is Ethereum's empty code hash).
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Hash([]));
        Assert.Equal("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", Hash("abc"u8));
    }

    /// <summary>
    /// Multi-block inputs and the block-boundary cases (135 bytes: both pad bits in one byte;
    /// 136: the padding needs a block of its own). Expected values computed with the npm package
    /// @noble/hashes 2.4.0 (<c>keccak_256</c> from <c>@noble/hashes/sha3.js</c>), an independent
    /// implementation, installed under pcaps/recording as a dependency of @ethereumjs/devp2p.
    /// </summary>
    [Theory]
    [InlineData(135, 'a', "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446")]
    [InlineData(136, 'a', "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e")]
    [InlineData(137, 'a', "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39")]
    public void Block_boundaries(int length, char fill, string expected)
    {
        Assert.Equal(expected, Hash(Sequence(length, _ => fill)));
    }

    [Fact]
    public void Long_inputs_from_an_independent_implementation()
    {
        // 0x00, 0x01, ... 0xff (two blocks); (i * 7) mod 251 for 1000 bytes (eight blocks). @noble/hashes 2.4.0.
        Assert.Equal("dc924469b334aed2a19fac7252e9961aea41f8d91996366029dbe0884229bf36", Hash(Sequence(256, i => i)));
        Assert.Equal("bdf0ff1eca7837dcbaeb98edb75f88860ff18b111101dc696fe07a6885e32848", Hash(Sequence(1000, i => i * 7 % 251)));
    }

    [Fact]
    public void Is_not_sha3_256()
    {
        // Same permutation, other padding: FIPS 202's SHA3-256("") is a7ffc6f8...434a.
        Assert.NotEqual("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", Hash([]));
    }

    [Fact]
    public void Matches_compares_with_an_expected_digest()
    {
        var data = Encoding.ASCII.GetBytes("abc");
        Assert.True(Keccak256.Matches(data, Convert.FromHexString("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")));
        Assert.False(Keccak256.Matches(data, Convert.FromHexString("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c46")));
        Assert.False(Keccak256.Matches(data, new byte[31]));
    }

    [Fact]
    public void A_short_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Keccak256.Hash("abc"u8, new byte[31]));
    }

    [Fact]
    public void Allocates_nothing()
    {
        var data = Sequence(1000, i => i);
        var digest = new byte[32];
        Keccak256.Hash(data, digest);
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                Keccak256.Hash(data.AsSpan(0, i), digest);
            }
        }));
    }
}
