using Appliance.Policy.Sql;

namespace Appliance.Policy.Masking;

/// <summary>
/// What the masker's reading of a statement asks of its tokens again and again: which parenthesis
/// matches which, which one a token stands in, whether a stretch holds a <c>*</c> or TABLE. Worked
/// out once per token list, on first use. Asked by scanning, every question cost a pass over the
/// statement, and 100,000 nested parentheses or calls took minutes of a core (probe AE).
/// </summary>
internal sealed class TokenIndex(string text, List<SqlToken> tokens)
{
    private int[]? _match;
    private int[]? _enclosing;
    private int[]? _unnamedBefore;

    /// <summary>The parenthesis matching the one at <paramref name="i"/>, or -1 when it has none.</summary>
    public int Match(int i)
    {
        Build();
        return _match![i];
    }

    /// <summary>The '(' token <paramref name="i"/> stands in (for a parenthesis, the one around the pair), or -1 at a statement's top level.</summary>
    public int Enclosing(int i)
    {
        Build();
        return _enclosing![i];
    }

    /// <summary>A <c>*</c> or the word TABLE among the tokens from <paramref name="from"/> up to <paramref name="to"/>: a query that passes on columns without naming them.</summary>
    public bool PassesColumnsUnnamed(int from, int to)
    {
        if (_unnamedBefore is null)
        {
            var before = new int[tokens.Count + 1];
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                var unnamed = (token.Kind == SqlTokenKind.Other && text.AsSpan(token.Start, token.Length).Contains('*'))
                    || (token.Kind == SqlTokenKind.Word && text.AsSpan(token.Start, token.Length).Equals("TABLE", StringComparison.OrdinalIgnoreCase));
                before[i + 1] = before[i] + (unnamed ? 1 : 0);
            }

            _unnamedBefore = before;
        }

        from = Math.Clamp(from, 0, tokens.Count);
        to = Math.Clamp(to, from, tokens.Count);
        return _unnamedBefore[to] > _unnamedBefore[from];
    }

    private void Build()
    {
        if (_match is not null)
        {
            return;
        }

        var match = new int[tokens.Count];
        var enclosing = new int[tokens.Count];
        var open = new Stack<int>();
        for (var i = 0; i < tokens.Count; i++)
        {
            match[i] = -1;
            switch (tokens[i].Kind)
            {
                case SqlTokenKind.OpenParen:
                    enclosing[i] = open.Count > 0 ? open.Peek() : -1;
                    open.Push(i);
                    break;
                case SqlTokenKind.CloseParen when open.Count > 0:
                    var pair = open.Pop();
                    (match[pair], match[i]) = (i, pair);
                    enclosing[i] = open.Count > 0 ? open.Peek() : -1;
                    break;
                case SqlTokenKind.Semicolon:
                    // A statement's parentheses end with it, closed or not.
                    open.Clear();
                    enclosing[i] = -1;
                    break;
                default:
                    enclosing[i] = open.Count > 0 ? open.Peek() : -1;
                    break;
            }
        }

        _enclosing = enclosing;
        _match = match;
    }
}
