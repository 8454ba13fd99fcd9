using System.Security.Cryptography;
using System.Text;
using PoolDetector.Core.Detection;

namespace PoolDetector.Attribution;

internal enum WalletPrivacyMode
{
    /// <summary>Wallets as the miner sent them.</summary>
    None,
    /// <summary>The first 6 and last 4 characters, <c>44AFFq...EP3A</c>: recognisable by whoever knows the wallet, useless to anyone else.</summary>
    Mask,
    /// <summary>HMAC-SHA256 under the operator's key, hex: the same wallet gives the same value in every run and report, and cannot be reversed without the key.</summary>
    Hash,
}

/// <summary>
/// Hides wallet addresses in what is reported. A worker is <c>LOGIN</c>, <c>LOGIN.rig</c>,
/// <c>LOGIN+difficulty</c> or <c>LOGIN.rig/email</c>; the login (for most pools the wallet)
/// and an e-mail after <c>/</c> are transformed, while the rig name and difficulty stay, as
/// they tell one machine from another without identifying anybody. A worker with an <c>@</c>
/// before any <c>/</c> (an e-mail as login, as MinerGate has) is transformed whole. The login is
/// also replaced wherever else it appears in the detection (evidence texts, the agent), so no
/// output shows it.
/// </summary>
internal sealed class WalletPrivacy
{
    /// <summary>A shorter key could be guessed; 16 characters also fit a passphrase an operator can keep.</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>Shown between the kept characters; ASCII so EVE (escaped to ASCII) shows it as it is.</summary>
    public const string MaskFill = "...";

    private const int MaskHead = 6;
    private const int MaskTail = 4;

    private readonly byte[]? _key;

    public WalletPrivacy(WalletPrivacyMode mode, string? key = null)
    {
        if (mode == WalletPrivacyMode.Hash)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            _key = Encoding.UTF8.GetBytes(key);
        }
        Mode = mode;
    }

    public static WalletPrivacy Off { get; } = new(WalletPrivacyMode.None);

    public WalletPrivacyMode Mode { get; }

    public static bool TryParseMode(string? text, out WalletPrivacyMode mode)
    {
        mode = WalletPrivacyMode.None;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "" or null or "none":
                return true;
            case "mask":
                mode = WalletPrivacyMode.Mask;
                return true;
            case "hash":
                mode = WalletPrivacyMode.Hash;
                return true;
            default:
                return false;
        }
    }

    public static string ModeName(WalletPrivacyMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>The detection with its wallet hidden everywhere; unchanged when off or without a worker.</summary>
    public MiningDetection Apply(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        if (Mode == WalletPrivacyMode.None || string.IsNullOrEmpty(detection.Worker))
        {
            return detection;
        }
        var worker = detection.Worker;
        var protectedWorker = ProtectWorker(worker, out var login, out var protectedLogin);
        return detection with
        {
            Worker = protectedWorker,
            Evidence = Replace(detection.Evidence, worker, protectedWorker, login, protectedLogin),
            Agent = Replace(detection.Agent, worker, protectedWorker, login, protectedLogin),
            PoolHost = Replace(detection.PoolHost, worker, protectedWorker, login, protectedLogin),
        };
    }

    /// <summary>The worker with its login (and e-mail) transformed.</summary>
    public string ProtectWorker(string worker) => ProtectWorker(worker, out _, out _);

    private string ProtectWorker(string worker, out string login, out string protectedLogin)
    {
        var slash = worker.IndexOf('/', StringComparison.Ordinal);
        var beforeSlash = slash < 0 ? worker : worker[..slash];
        if (beforeSlash.Contains('@', StringComparison.Ordinal))
        {
            login = worker;
            protectedLogin = Transform(worker);
            return protectedLogin;
        }
        var end = beforeSlash.IndexOfAny(['.', '+']);
        login = end < 0 ? beforeSlash : beforeSlash[..end];
        protectedLogin = Transform(login);
        var rest = end < 0 ? "" : beforeSlash[end..];
        return slash < 0 ? protectedLogin + rest : protectedLogin + rest + "/" + Transform(worker[(slash + 1)..]);
    }

    /// <summary>One value: masked or keyed-hashed.</summary>
    public string Transform(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Mode switch
        {
            WalletPrivacyMode.Mask => value.Length > MaskHead + MaskTail
                ? string.Concat(value.AsSpan(0, MaskHead), MaskFill, value.AsSpan(value.Length - MaskTail))
                : MaskFill,
            WalletPrivacyMode.Hash => Convert.ToHexStringLower(HMACSHA256.HashData(_key!, Encoding.UTF8.GetBytes(value))),
            _ => value,
        };
    }

    private static IReadOnlyList<string> Replace(IReadOnlyList<string> items, string worker, string protectedWorker, string login, string protectedLogin)
    {
        string[]? changed = null;
        for (var i = 0; i < items.Count; i++)
        {
            var replaced = Replace(items[i], worker, protectedWorker, login, protectedLogin);
            if (!ReferenceEquals(replaced, items[i]))
            {
                changed ??= [.. items];
                changed[i] = replaced!;
            }
        }
        return changed ?? items;
    }

    private static string? Replace(string? text, string worker, string protectedWorker, string login, string protectedLogin)
    {
        if (text is null || login.Length == 0 || !text.Contains(login, StringComparison.Ordinal))
        {
            return text;
        }
        // The whole worker first, so its e-mail goes too; then the login alone.
        return text.Replace(worker, protectedWorker, StringComparison.Ordinal).Replace(login, protectedLogin, StringComparison.Ordinal);
    }
}
