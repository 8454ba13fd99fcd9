using System.Buffers;
using System.Text;
using System.Text.Json;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;

namespace PoolDetector.Outputs;

/// <summary>Exactly the EVE alert events, one per line, nothing else: what SIEM shippers and score.py read.</summary>
internal sealed class JsonlOutput(TextWriter output) : IDetectionOutput
{
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);

    public void Write(string file, MiningDetection detection)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer, EveJson.WriterOptions))
        {
            EveJson.WriteAlert(writer, detection, file);
        }
        // Written as text so stdout has a single writer; the event is ASCII by construction.
        output.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        output.Write('\n');
    }

    public void Complete(AnalysisTotals totals) => output.Flush();
}
