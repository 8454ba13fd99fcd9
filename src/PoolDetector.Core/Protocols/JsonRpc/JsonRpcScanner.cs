using System.Text.Json;

namespace PoolDetector.Core.Protocols.JsonRpc;

public enum JsonScanResult : byte
{
    Ok,
    /// <summary>Not a JSON object: the cheap first-byte check failed.</summary>
    NotJsonObject,
    /// <summary>Started like JSON but is not valid JSON (or nests deeper than the limit).</summary>
    Malformed,
}

/// <summary>
/// Reads one JSON-RPC message with <see cref="Utf8JsonReader"/> straight over the bytes,
/// tolerant of any spacing and key order, recording only what the mining shapes look at.
/// </summary>
public static class JsonRpcScanner
{
    /// <summary>Mining messages nest four levels at most; deeper input is hostile or not ours.</summary>
    public const int MaxDepth = 16;

    private static readonly byte[][] KeyNames =
    [
        "id"u8.ToArray(), "login"u8.ToArray(), "pass"u8.ToArray(), "agent"u8.ToArray(), "algo"u8.ToArray(),
        "rigid"u8.ToArray(), "blob"u8.ToArray(), "job_id"u8.ToArray(), "target"u8.ToArray(), "nonce"u8.ToArray(),
        "result"u8.ToArray(), "host"u8.ToArray(), "port"u8.ToArray(), "proto"u8.ToArray(), "worker"u8.ToArray(),
        "status"u8.ToArray(), "job"u8.ToArray(), "data"u8.ToArray(), "midstate"u8.ToArray(), "hash1"u8.ToArray(),
        "previousblockhash"u8.ToArray(), "coinbasevalue"u8.ToArray(), "transactions"u8.ToArray(), "bits"u8.ToArray(),
        "height"u8.ToArray(),
    ];

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>
    /// Scans <paramref name="json"/> (one complete message, surrounding whitespace allowed).
    /// <paramref name="isFinalBlock"/> false accepts a message cut short (an HTTP body beyond
    /// the inspection budget): what was read before the cut is kept.
    /// </summary>
    public static JsonScanResult Scan(ReadOnlySpan<byte> json, ref JsonRpcMessage message, bool isFinalBlock = true)
    {
        message = default;
        message.Line = json;
        var first = FirstNonWhitespace(json);
        if (first < 0 || json[first] != (byte)'{')
        {
            return JsonScanResult.NotJsonObject;
        }

        var reader = new Utf8JsonReader(json, isFinalBlock, new JsonReaderState(ReaderOptions));
        try
        {
            reader.Read(); // StartObject
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return JsonScanResult.Ok;
                }
                // At depth 1 only property names can appear here.
                var name = reader.ValueSpan;
                var escapedName = reader.ValueIsEscaped;
                if (!reader.Read())
                {
                    break;
                }
                var key = escapedName ? -1 : TopLevelKey(name);
                switch (key)
                {
                    case TopId:
                        ReadValue(ref reader, out message.Id, ref message.Markers);
                        break;
                    case TopMethod:
                        ReadValue(ref reader, out message.Method, ref message.Markers);
                        break;
                    case TopWorker:
                        ReadValue(ref reader, out message.Worker, ref message.Markers);
                        break;
                    case TopParams:
                        ReadContainer(ref reader, ref message.Params, ref message.Markers, ref message.ResultJob, captureJob: false);
                        break;
                    case TopResult:
                        ReadContainer(ref reader, ref message.Result, ref message.Markers, ref message.ResultJob, captureJob: true);
                        break;
                    case TopError:
                        ReadContainer(ref reader, ref message.Error, ref message.Markers, ref message.ResultJob, captureJob: false);
                        break;
                    default:
                        ReadValue(ref reader, out _, ref message.Markers);
                        break;
                }
            }
            // Ran out of input before the closing brace.
            return isFinalBlock ? JsonScanResult.Malformed : JsonScanResult.Ok;
        }
        catch (JsonException)
        {
            // Utf8JsonReader has no Try API: invalid JSON throws. Callers bound how often this
            // can happen per flow (lines must start with '{', a direction is dropped after a
            // few bad lines), so hostile input cannot turn this into an exception storm.
            return isFinalBlock ? JsonScanResult.Malformed : (message.Method.Kind != JsonKind.None || message.Result.Kind != JsonKind.None ? JsonScanResult.Ok : JsonScanResult.Malformed);
        }
    }

    private const int TopId = 0;
    private const int TopMethod = 1;
    private const int TopParams = 2;
    private const int TopResult = 3;
    private const int TopError = 4;
    private const int TopWorker = 5;

    private static int TopLevelKey(ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("id"u8)) return TopId;
        if (name.SequenceEqual("method"u8)) return TopMethod;
        if (name.SequenceEqual("params"u8)) return TopParams;
        if (name.SequenceEqual("result"u8)) return TopResult;
        if (name.SequenceEqual("error"u8)) return TopError;
        if (name.SequenceEqual("worker"u8)) return TopWorker;
        return -1;
    }

    private static int KnownKey(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < KeyNames.Length; i++)
        {
            if (name.SequenceEqual(KeyNames[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Reads a container's first level: elements of an array, known keys of an object.</summary>
    private static void ReadContainer(ref Utf8JsonReader reader, ref JsonContainer container, ref JsonMarkers markers, ref JsonContainer job, bool captureJob)
    {
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            ReadValue(ref reader, out container.Value, ref markers);
            return;
        }
        var isArray = reader.TokenType == JsonTokenType.StartArray;
        container.Value.Kind = isArray ? JsonKind.Array : JsonKind.Object;
        container.Value.Start = (int)reader.TokenStartIndex;
        var count = 0;
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject)
            {
                break;
            }
            if (isArray)
            {
                ReadValue(ref reader, out var element, ref markers);
                if (count < JsonElements.Length)
                {
                    container.Elements[count] = element;
                }
            }
            else
            {
                var key = reader.ValueIsEscaped ? -1 : KnownKey(reader.ValueSpan);
                if (!reader.Read())
                {
                    break;
                }
                if (captureJob && key == (int)JsonKey.Job && reader.TokenType == JsonTokenType.StartObject)
                {
                    var unused = default(JsonContainer);
                    ReadContainer(ref reader, ref job, ref markers, ref unused, captureJob: false);
                    container.Keys[key] = job.Value;
                }
                else
                {
                    ReadValue(ref reader, out var value, ref markers);
                    if (key >= 0)
                    {
                        container.Keys[key] = value;
                    }
                }
            }
            count++;
        }
        container.Value.Count = count;
    }

    /// <summary>Reads the value at the reader (a scalar, or a whole container counted by its direct children).</summary>
    private static void ReadValue(ref Utf8JsonReader reader, out JsonValueInfo value, ref JsonMarkers markers)
    {
        value = default;
        value.Start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value.Kind = JsonKind.String;
                value.Start += 1; // past the opening quote
                value.Length = reader.ValueSpan.Length;
                value.Escaped = reader.ValueIsEscaped;
                markers |= MarkerOf(reader.ValueSpan);
                return;
            case JsonTokenType.Number:
                value.Kind = JsonKind.Number;
                value.Length = reader.ValueSpan.Length;
                return;
            case JsonTokenType.True:
                value.Kind = JsonKind.True;
                return;
            case JsonTokenType.False:
                value.Kind = JsonKind.False;
                return;
            case JsonTokenType.Null:
                value.Kind = JsonKind.Null;
                return;
            case JsonTokenType.StartArray:
            case JsonTokenType.StartObject:
                value.Kind = reader.TokenType == JsonTokenType.StartArray ? JsonKind.Array : JsonKind.Object;
                var depth = reader.CurrentDepth;
                var count = 0;
                while (reader.Read())
                {
                    var tokenDepth = reader.CurrentDepth;
                    if (tokenDepth == depth && reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject)
                    {
                        break;
                    }
                    if (tokenDepth == depth + 1 && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject)
                        && (value.Kind == JsonKind.Object ? reader.TokenType == JsonTokenType.PropertyName : true))
                    {
                        count++;
                    }
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        markers |= MarkerOf(reader.ValueSpan);
                    }
                }
                value.Count = count;
                return;
            default:
                return;
        }
    }

    private static JsonMarkers MarkerOf(ReadOnlySpan<byte> text)
    {
        if (text.Length == 13)
        {
            return text.SequenceEqual("mining.notify"u8) ? JsonMarkers.MiningNotify : JsonMarkers.None;
        }
        if (text.Length == 21)
        {
            if (text.SequenceEqual("EthereumStratum/1.0.0"u8)) return JsonMarkers.EthereumStratum1;
            if (text.SequenceEqual("EthereumStratum/2.0.0"u8)) return JsonMarkers.EthereumStratum2;
            if (text.SequenceEqual("mining.set_difficulty"u8)) return JsonMarkers.MiningSetDifficulty;
        }
        return JsonMarkers.None;
    }

    private static int FirstNonWhitespace(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Decodes a string value (unescaping when needed), cut to <paramref name="maxChars"/>. Allocates: call once per flow, not per packet.</summary>
    public static string DecodeString(ReadOnlySpan<byte> line, in JsonValueInfo value, int maxChars = 256)
    {
        if (value.Kind != JsonKind.String)
        {
            return value.Kind == JsonKind.Number ? System.Text.Encoding.UTF8.GetString(line.Slice(value.Start, value.Length)) : "";
        }
        var raw = line.Slice(value.Start, value.Length);
        string text;
        if (!value.Escaped)
        {
            text = System.Text.Encoding.UTF8.GetString(raw);
        }
        else
        {
            // Re-read the quoted token to let the reader unescape it.
            var quoted = line.Slice(value.Start - 1, value.Length + 2);
            var reader = new Utf8JsonReader(quoted);
            try
            {
                text = reader.Read() ? reader.GetString() ?? "" : "";
            }
            catch (JsonException)
            {
                text = "";
            }
            catch (InvalidOperationException)
            {
                text = "";
            }
        }
        return text.Length > maxChars ? text[..maxChars] : text;
    }
}
