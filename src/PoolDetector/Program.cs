using PoolDetector.Cli;

var console = CliConsole.FromProcess();
try
{
    return CliApp.Run(args, console);
}
catch (DllNotFoundException e) when (e.Message.Contains("wpcap", StringComparison.Ordinal))
{
    // SharpPcap loads libpcap under its Windows name and says so; say it in the operator's terms.
    console.WriteError("libpcap is not installed: install it (Debian: apt-get install libpcap0.8, or run scripts/install-dependencies.sh)");
    return ExitCodes.Usage;
}
catch (Exception e)
{
    console.WriteError("internal error: " + e);
    return ExitCodes.InternalError;
}
finally
{
    try
    {
        console.Out.Flush();
    }
    catch (IOException)
    {
        // stdout closed early (`| head`): nothing left to tell anyone.
    }
}
