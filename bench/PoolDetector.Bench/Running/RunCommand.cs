using System.CommandLine;

namespace PoolDetector.Bench.Running;

internal static class RunCommand
{
    public static Command Create() => new("run", "placeholder");
}
