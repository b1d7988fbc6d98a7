using Appliance.Policy.Sql;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// The DECLAREs of one simple Query, in its order: the client side notes them as it reads the
/// text, the upstream side takes the next at each CommandComplete "DECLARE CURSOR" (a DECLARE
/// that fails ends the Query, so the answers come in the same order), and the client side learns
/// what was answered. One whose name a later statement of the same text forgot is not learnt.
/// </summary>
internal sealed class CursorDeclares
{
    private readonly List<Entry> _entries = [];
    private long _stamp;
    private int _answered;

    /// <summary>A DECLARE PostgreSQL answered, and the client side's clock when its text was read.</summary>
    internal readonly record struct Answered(string Name, string Query, bool WithHold, long Stamp);

    private sealed record Entry(string Name, string Query, bool WithHold, (string Query, bool WithHold)? Before)
    {
        public bool Survives { get; set; } = true;
    }

    /// <summary>A DECLARE of the text, with what its name held before it (restored by <see cref="Unlearn"/>).</summary>
    public void Add(CursorChange declare, (string Query, bool WithHold)? before) =>
        _entries.Add(new(declare.Name!, declare.Query!, declare.WithHold, before));

    /// <summary>A later statement of the text forgot every name but <paramref name="kept"/>.</summary>
    public void ForgetAllBut(string? kept)
    {
        foreach (var entry in _entries)
        {
            entry.Survives &= entry.Name == kept;
        }
    }

    public void Stamp(long clock) => _stamp = clock;

    /// <summary>Puts back what the text's DECLAREs changed, newest first: they are known once answered.</summary>
    public void Unlearn(Dictionary<string, (string Query, bool WithHold)> cursors)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (!entry.Survives)
            {
                continue;
            }

            if (entry.Before is { } before)
            {
                cursors[entry.Name] = before;
            }
            else
            {
                cursors.Remove(entry.Name);
            }
        }
    }

    /// <summary>Upstream side: the DECLARE the next "DECLARE CURSOR" answers, if it is to be learnt.</summary>
    public Answered? Next()
    {
        if (_answered >= _entries.Count)
        {
            return null;
        }

        var entry = _entries[_answered++];
        return entry.Survives ? new Answered(entry.Name, entry.Query, entry.WithHold, _stamp) : null;
    }
}
