using System.Text;

namespace PoolDetector.Cli;

/// <summary>
/// Where the CLI writes: results to <see cref="Out"/>, everything else (errors, warnings,
/// progress) to <see cref="Error"/>, so stdout stays machine-readable. Tests pass writers.
/// </summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool OutIsTerminal, bool ErrorIsTerminal)
{
    public static CliConsole FromProcess()
    {
        // Console.Out flushes on every write; a redirected stdout of thousands of events
        // gets a buffered UTF-8 writer instead (flushed on exit by Program).
        var outIsTerminal = !Console.IsOutputRedirected;
        var output = outIsTerminal
            ? Console.Out
            : new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024);
        return new CliConsole(output, Console.Error, outIsTerminal, !Console.IsErrorRedirected);
    }

    public void WriteError(string message) => Error.WriteLine("pooldetector: " + message);

    public void WriteWarning(string message) => Error.WriteLine("pooldetector: warning: " + message);
}
