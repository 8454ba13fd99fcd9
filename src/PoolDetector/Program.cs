using PoolDetector.Cli;

var console = CliConsole.FromProcess();
try
{
    return CliApp.Run(args, console);
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
