namespace PoolDetector.Cli;

/// <summary>The CLI exit codes of DESIGN.md ("Contracts other people depend on"): scripts and CI branch on them.</summary>
internal static class ExitCodes
{
    /// <summary>Ran cleanly and found no mining.</summary>
    public const int Clean = 0;
    /// <summary>Found at least one flow of category <c>mining</c> or <c>pool-contact</c>.</summary>
    public const int MiningFound = 1;
    /// <summary>Bad usage or configuration: nothing was analysed.</summary>
    public const int Usage = 2;
    /// <summary>An input was unreadable or corrupt; what could be read is still reported. Wins over <see cref="MiningFound"/>.</summary>
    public const int InputError = 3;
    /// <summary>A bug (an unexpected exception), kept apart from the contract's codes so it is never mistaken for a verdict.</summary>
    public const int InternalError = 70;
}
