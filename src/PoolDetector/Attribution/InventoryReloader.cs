using Microsoft.Extensions.Logging;
using PoolDetector.Hosting;

namespace PoolDetector.Attribution;

/// <summary>
/// Reloads the inventory on SIGHUP, with the rules: an operator edits the file and reloads as
/// for rules. A file that now has problems changes nothing: the inventory in use stays and every
/// problem is logged as <c>file:line: problem</c>. Detections reported from then on use the new one.
/// </summary>
internal sealed partial class InventoryReloader(SensorValidation validation, ILogger<InventoryReloader> logger)
{
    private readonly Lock _reloadLock = new();

    /// <summary>True when a file is configured (an inventory to reload).</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(validation.Options.InventoryFile);

    /// <summary>Loads the file again; true when the new inventory is in use.</summary>
    public bool Reload()
    {
        if (!Configured)
        {
            return false;
        }
        lock (_reloadLock)
        {
            var attribution = validation.Attribution.Attribution;
            var path = validation.Options.InventoryFile;
            var errors = new List<string>();
            var inventory = Inventory.Load(path, errors);
            if (inventory is null)
            {
                Log.ReloadFailed(logger, path, errors.Count, attribution.Inventory.Count);
                foreach (var error in errors)
                {
                    Log.InventoryError(logger, error);
                }
                return false;
            }
            attribution.Inventory = inventory;
            Log.Reloaded(logger, inventory.Count, path);
            return true;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Reloaded the inventory: {Networks} networks from {File}")]
        public static partial void Reloaded(ILogger logger, int networks, string file);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Inventory reload failed: {Errors} problem(s) in {File}; keeping the inventory in use ({Networks} networks)")]
        public static partial void ReloadFailed(ILogger logger, string file, int errors, int networks);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Inventory reload: {Error}")]
        public static partial void InventoryError(ILogger logger, string error);
    }
}
