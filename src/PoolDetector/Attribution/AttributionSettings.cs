using PoolDetector.Core.Detection;

namespace PoolDetector.Attribution;

/// <summary>
/// Who is internal, the inventory and the wallet privacy, parsed and checked together: the
/// daemon's options (<c>HomeNetworks</c>, <c>InventoryFile</c>, <c>WalletPrivacy</c>,
/// <c>WalletHashKey</c>) and analyze's (<c>--home-net</c>, <c>--inventory</c>, <c>--wallets</c>,
/// <c>--wallet-key</c>) read the same way and fail the same way.
/// </summary>
internal sealed record AttributionSettings(HomeNetworks HomeNetworks, DetectionAttribution Attribution)
{
    /// <summary>What a daemon or analyze run without attribution options uses: the default home networks, no inventory, wallets shown.</summary>
    public static AttributionSettings Defaults { get; } = new(
        HomeNetworks.Parse(HomeNetworks.Defaults, "", []), DetectionAttribution.Off);

    /// <summary>Names of the settings as the caller's errors should call them; <paramref name="HomeNetwork"/> names one range by its index.</summary>
    internal sealed record Keys(Func<int, string> HomeNetwork, string Inventory, string Privacy, string Key);

    /// <summary>
    /// Parses everything, adding each problem to <paramref name="errors"/> under its key; null when
    /// there was one. <paramref name="homeNetworks"/> <c>none</c> (alone) means no home networks.
    /// </summary>
    public static AttributionSettings? Create(IReadOnlyList<string> homeNetworks, string? inventoryFile, string? privacy, string? key, Keys keys, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(homeNetworks);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        var ranges = homeNetworks.Count == 1 && string.Equals(homeNetworks[0].Trim(), "none", StringComparison.OrdinalIgnoreCase) ? [] : homeNetworks;
        var home = new List<Core.Decoding.IpNetwork>();
        for (var i = 0; i < ranges.Count; i++)
        {
            if (Core.Decoding.IpNetwork.TryParse(ranges[i], out var network) is { } problem)
            {
                errors.Add($"{keys.HomeNetwork(i)}: {problem}");
            }
            else
            {
                home.Add(network);
            }
        }

        var inventory = Inventory.Empty;
        if (!string.IsNullOrWhiteSpace(inventoryFile))
        {
            var problems = new List<string>();
            if (!File.Exists(inventoryFile))
            {
                problems.Add($"{inventoryFile}: no such file");
            }
            else if (Inventory.Load(inventoryFile, problems) is { } loaded)
            {
                inventory = loaded;
            }
            foreach (var problem in problems)
            {
                errors.Add($"{keys.Inventory}: {problem}");
            }
        }

        if (!WalletPrivacy.TryParseMode(privacy, out var privacyMode))
        {
            errors.Add($"{keys.Privacy}: '{privacy}' is not none, mask or hash");
        }
        else if (privacyMode == WalletPrivacyMode.Hash && (key is null || key.Length < WalletPrivacy.MinimumKeyLength))
        {
            errors.Add($"{keys.Key}: hash needs a key of at least {WalletPrivacy.MinimumKeyLength} characters (keep it secret and keep it the same: the same wallet then gives the same hash in every report)");
        }
        if (errors.Count != before)
        {
            return null;
        }
        var walletPrivacy = privacyMode == WalletPrivacyMode.None ? WalletPrivacy.Off : new WalletPrivacy(privacyMode, key);
        return new AttributionSettings(new HomeNetworks(home), new DetectionAttribution(inventory, walletPrivacy));
    }
}
