namespace PoolDetector.Capture;

/// <summary>
/// Byte arrays that are resident from the start. A large new array is fresh pages the kernel
/// maps on first write, so a 64 MiB ring would join the process's RSS a packet at a time over
/// its first pass, which looks like a leak for minutes on a quiet link (the soak test saw it).
/// Touching every page once at allocation makes memory at start what the configuration says.
/// </summary>
internal static class ResidentBuffer
{
    private const int PageBytes = 4096;

    public static byte[] Allocate(int bytes)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(bytes);
        for (var i = 0; i < buffer.Length; i += PageBytes)
        {
            buffer[i] = 0;
        }
        return buffer;
    }
}
