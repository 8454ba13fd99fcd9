using System.Buffers.Binary;
using System.IO.Compression;

namespace PoolDetector.Tests.Reporting;

/// <summary>
/// Just enough PNG to look at a browser's screenshot: 8-bit RGB or RGBA, not interlaced (what
/// Chromium writes), decoded into 0xRRGGBB pixels. No image library for one test.
/// </summary>
internal sealed class PngImage
{
    private PngImage(int width, int height, int[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>0xRRGGBB, row by row; alpha dropped (a screenshot is opaque).</summary>
    public int[] Pixels { get; }

    public static PngImage Decode(byte[] png)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }))
        {
            throw new InvalidDataException("not a PNG file");
        }
        int width = 0, height = 0, colourType = -1;
        using var compressed = new MemoryStream();
        var offset = 8;
        while (offset + 12 <= png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    colourType = data[9];
                    if (data[8] != 8 || colourType is not (2 or 6) || data[12] != 0)
                    {
                        throw new NotSupportedException($"PNG bit depth {data[8]}, colour type {colourType}, interlace {data[12]}: only 8-bit RGB/RGBA, not interlaced");
                    }
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
            }
            offset += 12 + length;
            if (type == "IEND")
            {
                break;
            }
        }
        compressed.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }
        var raw = inflated.GetBuffer();
        var bytesPerPixel = colourType == 6 ? 4 : 3;
        var stride = width * bytesPerPixel;
        var previous = new byte[stride];
        var row = new byte[stride];
        var pixels = new int[width * height];
        for (var y = 0; y < height; y++)
        {
            var start = y * (stride + 1);
            var filter = raw[start];
            for (var x = 0; x < stride; x++)
            {
                var value = raw[start + 1 + x];
                var left = x >= bytesPerPixel ? row[x - bytesPerPixel] : 0;
                var up = previous[x];
                var upLeft = x >= bytesPerPixel ? previous[x - bytesPerPixel] : 0;
                row[x] = (byte)(filter switch
                {
                    0 => value,
                    1 => value + left,
                    2 => value + up,
                    3 => value + ((left + up) / 2),
                    4 => value + Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"PNG filter {filter} on row {y}"),
                });
            }
            for (var x = 0; x < width; x++)
            {
                var p = x * bytesPerPixel;
                pixels[(y * width) + x] = (row[p] << 16) | (row[p + 1] << 8) | row[p + 2];
            }
            (previous, row) = (row, previous);
        }
        return new PngImage(width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
