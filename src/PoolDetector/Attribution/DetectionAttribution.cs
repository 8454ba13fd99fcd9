using PoolDetector.Core.Detection;

namespace PoolDetector.Attribution;

/// <summary>
/// The last step before any output: names the unit responsible for the internal host from the
/// inventory, and hides the wallet as configured. The engine has already oriented the detection
/// (its source is the internal host) and given the host's MAC and DHCP name. Every output (EVE
/// file, stdout, syslog, analyze's table, jsonl and csv, the logs) receives the detection from
/// here, so none can show what another hides.
/// </summary>
internal sealed class DetectionAttribution
{
    private Inventory _inventory;

    public DetectionAttribution(Inventory inventory, WalletPrivacy privacy)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(privacy);
        _inventory = inventory;
        Privacy = privacy;
    }

    public static DetectionAttribution Off { get; } = new(Inventory.Empty, WalletPrivacy.Off);

    public WalletPrivacy Privacy { get; }

    /// <summary>The inventory in use; replaced whole by a reload on another thread.</summary>
    public Inventory Inventory
    {
        get => Volatile.Read(ref _inventory);
        set => Volatile.Write(ref _inventory, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public MiningDetection Apply(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var d = detection;
        var inventory = Inventory;
        if (inventory.Count > 0 && inventory.TryFind(d.MinerAddress, out var unit))
        {
            d = d with
            {
                Host = (d.Host ?? new HostAttribution()) with
                {
                    Department = unit.Department,
                    Owner = unit.Owner,
                    Contact = unit.Contact,
                },
            };
        }
        return Privacy.Apply(d);
    }
}

/// <summary>Puts <see cref="DetectionAttribution"/> between the engine and a sink.</summary>
internal sealed class AttributingSink(DetectionAttribution attribution, IDetectionSink inner) : IDetectionSink
{
    public void OnDetection(MiningDetection detection) => inner.OnDetection(attribution.Apply(detection));
}
