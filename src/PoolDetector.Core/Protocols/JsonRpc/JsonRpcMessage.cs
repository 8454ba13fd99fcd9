using System.Runtime.CompilerServices;

namespace PoolDetector.Core.Protocols.JsonRpc;

public enum JsonKind : byte
{
    None,
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
}

/// <summary>
/// Where one JSON value lies in the message and what it is. Strings point at their raw
/// (still escaped) content without the quotes; containers carry their element count.
/// </summary>
public struct JsonValueInfo
{
    public JsonKind Kind;
    public bool Escaped;
    public int Start;
    public int Length;
    /// <summary>Elements of an array or properties of an object.</summary>
    public int Count;

    public readonly bool IsBool => Kind is JsonKind.True or JsonKind.False;
}

/// <summary>Property names the mining shapes look at. Anything else is counted and skipped.</summary>
public enum JsonKey : byte
{
    Id,
    Login,
    Pass,
    Agent,
    Algo,
    Rigid,
    Blob,
    JobId,
    Target,
    Nonce,
    Result,
    Host,
    Port,
    Proto,
    Worker,
    Status,
    Job,
    Data,
    Midstate,
    Hash1,
    PreviousBlockHash,
    CoinbaseValue,
    Transactions,
    Bits,
    Height,
}

[InlineArray(Length)]
public struct JsonElements
{
    public const int Length = 10;
    private JsonValueInfo _first;
}

[InlineArray(Length)]
public struct JsonKeyValues
{
    public const int Length = (int)JsonKey.Height + 1;
    private JsonValueInfo _first;
}

/// <summary>
/// The top of a <c>params</c>, <c>result</c> or <c>error</c> value: its first elements when it
/// is an array, the values of known keys when it is an object. Deeper levels are only counted.
/// </summary>
public struct JsonContainer
{
    public JsonValueInfo Value;
    public JsonElements Elements;
    public JsonKeyValues Keys;

    public readonly JsonKind Kind => Value.Kind;
    public readonly int Count => Value.Count;

    /// <summary>Element <paramref name="index"/> of an array; <see cref="JsonKind.None"/> past the recorded ones.</summary>
    public readonly JsonValueInfo Element(int index) =>
        Value.Kind == JsonKind.Array && index < Value.Count && index < JsonElements.Length ? Elements[index] : default;

    public readonly JsonValueInfo Key(JsonKey key) =>
        Value.Kind == JsonKind.Object ? Keys[(int)key] : default;

    public readonly bool Has(JsonKey key) => Key(key).Kind != JsonKind.None;
}

/// <summary>Strings whose presence anywhere in a message identifies a dialect.</summary>
[Flags]
public enum JsonMarkers : byte
{
    None = 0,
    MiningNotify = 1,
    MiningSetDifficulty = 2,
    EthereumStratum1 = 4,
    EthereumStratum2 = 8,
}

/// <summary>
/// One JSON-RPC message (request, notification or response) as the mining checks need it:
/// positions into the line, never copies, so scanning allocates nothing.
/// </summary>
public ref struct JsonRpcMessage
{
    public ReadOnlySpan<byte> Line;
    public JsonValueInfo Id;
    public JsonValueInfo Method;
    /// <summary>ethproxy puts the rig name in a top-level <c>worker</c> member.</summary>
    public JsonValueInfo Worker;
    public JsonContainer Params;
    public JsonContainer Result;
    /// <summary><c>result.job</c> of a CryptoNote login reply.</summary>
    public JsonContainer ResultJob;
    public JsonContainer Error;
    public JsonMarkers Markers;

    public readonly bool IsRequest => Method.Kind == JsonKind.String;

    public readonly bool IsResponse => Method.Kind == JsonKind.None && (Result.Kind != JsonKind.None || Error.Kind != JsonKind.None);

    public readonly ReadOnlySpan<byte> Raw(JsonValueInfo value) =>
        value.Kind is JsonKind.String or JsonKind.Number ? Line.Slice(value.Start, value.Length) : default;

    public readonly ReadOnlySpan<byte> MethodName => Raw(Method);

    /// <summary>
    /// A key for matching a response to its request: numeric ids by value, string ids by a
    /// hash of their bytes (tagged so "1" and 1 differ). Null or absent ids give 0.
    /// </summary>
    public readonly long IdKey
    {
        get
        {
            switch (Id.Kind)
            {
                case JsonKind.Number:
                    return System.Buffers.Text.Utf8Parser.TryParse(Raw(Id), out long number, out var consumed) && consumed == Id.Length
                        ? number ^ 0x5bd1e995L
                        : Hash(Raw(Id));
                case JsonKind.String:
                    return Hash(Raw(Id)) | (1L << 62);
                default:
                    return 0;
            }
        }
    }

    private static long Hash(ReadOnlySpan<byte> bytes)
    {
        // FNV-1a: ids are short, and collisions only cost a missed share match.
        ulong hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return (long)(hash >> 2);
    }
}
