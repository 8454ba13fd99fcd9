using System.Security.Cryptography;
using System.Text;
using PoolDetector.Attribution;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Attribution;

public class WalletPrivacyTests
{
    public const string Key = "campus-it-secret-key-2026";
    private const string Wallet = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";

    private static string Hmac(string value) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(value)));

    [Theory]
    [InlineData(Wallet, "44AFFq...EP3A")]
    [InlineData(Wallet + ".rig1", "44AFFq...EP3A.rig1")]
    [InlineData(Wallet + "+50000", "44AFFq...EP3A+50000")]
    [InlineData(Wallet + ".rig1/jane.doe@campus.example", "44AFFq...EP3A.rig1/jane.d...mple")]
    [InlineData("jane.doe@campus.example", "jane.d...mple")]
    [InlineData("short.rig", "....rig")]
    public void Mask_keeps_the_first_six_and_last_four_characters_of_the_login(string worker, string masked) =>
        Assert.Equal(masked, new WalletPrivacy(WalletPrivacyMode.Mask).ProtectWorker(worker));

    [Fact]
    public void Hash_is_hmac_sha256_of_the_login_under_the_key_and_keeps_the_rig()
    {
        var privacy = new WalletPrivacy(WalletPrivacyMode.Hash, Key);
        Assert.Equal(Hmac(Wallet) + ".rig1", privacy.ProtectWorker(Wallet + ".rig1"));
        // The same wallet links across rigs and runs; another key gives another value.
        Assert.Equal(Hmac(Wallet) + ".rig2", new WalletPrivacy(WalletPrivacyMode.Hash, Key).ProtectWorker(Wallet + ".rig2"));
        Assert.NotEqual(privacy.Transform(Wallet), new WalletPrivacy(WalletPrivacyMode.Hash, Key + "x").Transform(Wallet));
    }

    [Theory]
    [InlineData("mask")]
    [InlineData("hash")]
    public void The_wallet_is_replaced_wherever_it_appears_in_the_detection(string mode)
    {
        Assert.True(WalletPrivacy.TryParseMode(mode, out var parsed));
        var privacy = new WalletPrivacy(parsed, Key);
        var detection = SampleDetections.DesignExample with
        {
            Worker = Wallet + ".rig1",
            Evidence = ["mining.authorize", "login:" + Wallet],
            Agent = "XMRig " + Wallet,
            PoolHost = Wallet + ".example",
        };
        var text = Core.Events.EveJson.ToJson(privacy.Apply(detection));
        Assert.DoesNotContain(Wallet, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Wallet[..20], text, StringComparison.Ordinal);
        Assert.Contains(privacy.Transform(Wallet) + ".rig1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Off_changes_nothing()
    {
        var detection = SampleDetections.DesignExample with { Worker = Wallet };
        Assert.Same(detection, WalletPrivacy.Off.Apply(detection));
    }
}
