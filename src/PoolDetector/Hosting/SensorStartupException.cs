namespace PoolDetector.Hosting;

/// <summary>
/// A start-up failure the operator can fix (a port in use, say): reported as a configuration
/// error (exit 2) with its message, not as an internal error.
/// </summary>
internal sealed class SensorStartupException : Exception
{
    public SensorStartupException()
    {
    }

    public SensorStartupException(string message)
        : base(message)
    {
    }

    public SensorStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
