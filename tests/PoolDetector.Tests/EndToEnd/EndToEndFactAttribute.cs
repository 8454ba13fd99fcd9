namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// A fact that needs real parts: root (live capture, network namespaces) and the programs
/// named. Skipped with the missing part named when one is absent on a developer's machine;
/// under CI (<c>CI=true</c>, where <c>./test.sh</c> installs everything) never skipped, so
/// a missing install step fails loudly instead of passing as a skip.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EndToEndFactAttribute : FactAttribute
{
    public EndToEndFactAttribute(params string[] programs)
    {
        Skip = EndToEndPrerequisites.SkipReason(programs, needsRoot: true);
    }
}

/// <summary>
/// A fact that runs a program but needs no root (promtool on files): skipped with the missing
/// program named on a developer's machine, never under CI, like <see cref="EndToEndFactAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProgramFactAttribute : FactAttribute
{
    public ProgramFactAttribute(params string[] programs)
    {
        Skip = EndToEndPrerequisites.SkipReason(programs, needsRoot: false);
    }
}
