namespace PoolDetector.Core.Detection.Memory;

/// <summary>
/// A dictionary with a hard cap that forgets the least recently used entry when full, and
/// counts what it forgot. The detector's memories (DNS answers, learned pools, host history)
/// grow with the traffic; this keeps each of them bounded. Writes are rare (a pool name
/// answered, a mining session confirmed); reads happen once per flow.
/// </summary>
public sealed class BoundedLru<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _index;
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();

    public BoundedLru(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _index = new Dictionary<TKey, LinkedListNode<(TKey, TValue)>>(Math.Min(capacity, 1024));
    }

    public int Capacity { get; }

    public int Count => _index.Count;

    /// <summary>Entries forgotten to make room.</summary>
    public long Evicted { get; private set; }

    public bool TryGetValue(TKey key, out TValue value)
    {
        if (_index.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddLast(node);
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Adds or replaces; the entry becomes the most recently used.</summary>
    public void Set(TKey key, TValue value)
    {
        if (_index.TryGetValue(key, out var node))
        {
            node.Value = (key, value);
            _order.Remove(node);
            _order.AddLast(node);
            return;
        }
        if (_index.Count >= Capacity)
        {
            var oldest = _order.First!;
            _order.RemoveFirst();
            _index.Remove(oldest.Value.Key);
            Evicted++;
        }
        _index[key] = _order.AddLast((key, value));
    }

    public bool Remove(TKey key)
    {
        if (_index.Remove(key, out var node))
        {
            _order.Remove(node);
            return true;
        }
        return false;
    }

    /// <summary>Entries from least to most recently used.</summary>
    public IEnumerable<(TKey Key, TValue Value)> Entries => _order;
}
