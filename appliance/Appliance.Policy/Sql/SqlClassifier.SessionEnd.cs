namespace Appliance.Policy.Sql;

/// <summary>
/// What may outlive a session the gateway cut: a prepared transaction (<c>PREPARE TRANSACTION</c>,
/// and <c>COMMIT</c> or <c>ROLLBACK PREPARED</c> of one), and what may change the check that ends
/// its backend. The gateway logs in upstream with <c>client_connection_check_interval</c> set, so that a
/// backend whose session it cut ends within a second even where it cannot be ended by name
/// (probe BI1). A statement that may change that setting is classified as
/// <see cref="OutlivesSession"/>, which a built-in rule blocks: one that names it (as a word, a
/// quoted name or a string, however escaped) other than <c>SHOW</c>, a CREATE or ALTER naming
/// <c>pg_settings</c> (a view over it is updatable), and a <c>set_config</c> whose
/// setting is not a plain literal (a parameter, an expression: probes BJ1, BJ2 turned it off with
/// a comment holding SHOW, a bind parameter, <c>substr</c> and an escaped string).
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>The kind and command of a statement whose effect may outlive a session the gateway cuts.</summary>
    public const string OutlivesSession = "OUTLIVES SESSION";

    private const string ConnectionCheckSetting = "client_connection_check_interval";

    private const string SetConfig = "set_config";

    private const string Settings = "pg_settings";

    private static bool MayChangeConnectionCheck(Statement statement, string kind)
    {
        if (kind == "SHOW")
        {
            return false;
        }

        // A prepared transaction outlives its session, holding its locks, and anyone sharing the
        // connection's role may commit it after the grant it was made under has ended (probe BP1).
        var first = statement.From;
        while (first < statement.To && statement.Tokens[first].Kind == SqlTokenKind.OpenParen)
        {
            first++;
        }

        // PREPARE TRANSACTION 'gid', not a statement named transaction (PREPARE transaction AS …).
        if (kind is "PREPARE" or "COMMIT" or "ROLLBACK" && statement.IsKeyword(first + 1, kind == "PREPARE" ? "TRANSACTION" : "PREPARED")
            && first + 2 < statement.To && statement.Tokens[first + 2].IsStringLiteral)
        {
            return true;
        }

        for (var i = statement.From; i < statement.To; i++)
        {
            // Run on every statement classified: only tokens long enough to spell a name are read (no allocation for the rest).
            var token = statement.Tokens[i];
            if (token.Length < SetConfig.Length)
            {
                continue;
            }

            // A view over pg_settings passes an UPDATE on to its rule, which calls set_config (probe BM1).
            if (kind is "CREATE" or "ALTER" && token.Length >= Settings.Length && token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && SqlLiteral.Identifier(statement.Source, token).Equals(Settings, StringComparison.Ordinal))
            {
                return true;
            }

            if (token.Length >= ConnectionCheckSetting.Length && token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && SqlLiteral.Identifier(statement.Source, token).Equals(ConnectionCheckSetting, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (token.Length >= ConnectionCheckSetting.Length && token.IsStringLiteral && SqlLiteral.TryGetContent(statement.Source, token, out var text, out var start, out var end)
                && text.AsSpan(start, end - start).Trim().Equals(ConnectionCheckSetting, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            // set_config(name, …) whose name is anything but a literal the gateway reads (a U&'…' one it does not).
            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && token.Length <= SetConfig.Length + 2 && SqlLiteral.Identifier(statement.Source, token).Equals(SetConfig, StringComparison.OrdinalIgnoreCase)
                && i + 1 < statement.To && statement.Tokens[i + 1].Kind == SqlTokenKind.OpenParen
                && !(i + 3 < statement.To && statement.Tokens[i + 2].IsStringLiteral && statement.Tokens[i + 3].Kind == SqlTokenKind.Comma
                     && SqlLiteral.TryGetContent(statement.Source, statement.Tokens[i + 2], out _, out _, out _))
                && !SetsTheOneSettingItSelects(statement, i))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// pg_dump's own (15.8 and later, CVE-2024-7348): <c>SELECT set_config(name, 'view,
    /// foreign-table', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'</c>,
    /// exactly so: a dump through the gateway stopped here (probe DA1).
    /// </summary>
    private const string PgDumpSetting = "restrict_nonsystem_relation_kind";

    private static bool SetsTheOneSettingItSelects(Statement statement, int setConfig)
    {
        // Read step by step: each step checks the token at i and moves past it.
        var i = statement.From;
        var matches = statement.IsKeyword(i++, "SELECT") && Catalog(ref i) && i == setConfig && i++ < statement.To
            && Is(i++, SqlTokenKind.OpenParen) && Name(i++, "name") && Is(i++, SqlTokenKind.Comma)
            && Literal(i++, value => value.Split(',').All(kind => kind.Trim() is "view" or "foreign-table"))
            && Is(i++, SqlTokenKind.Comma) && (statement.IsKeyword(i, "false") || statement.IsKeyword(i, "true")) && Is(++i, SqlTokenKind.CloseParen)
            && statement.IsKeyword(++i, "FROM") && ++i < statement.To && Catalog(ref i) && Name(i++, Settings)
            && statement.IsKeyword(i++, "WHERE") && Name(i++, "name") && Is(i, SqlTokenKind.Other) && statement.Word(i++) is "="
            && Literal(i++, setting => setting == PgDumpSetting);
        return matches && i == statement.To;

        bool Is(int at, SqlTokenKind kind) => at < statement.To && statement.Tokens[at].Kind == kind;

        bool Name(int at, string name) =>
            at < statement.To && statement.Tokens[at].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && SqlLiteral.Identifier(statement.Source, statement.Tokens[at]).Equals(name, StringComparison.Ordinal);

        // Only pg_dump's setting and values: a value no other setting takes, so that where `=` or
        // pg_settings is not the catalog's (an operator or relation already in the database, found
        // first on the search_path), the other rows it reaches fail the statement (review R6).
        bool Literal(int at, Func<string, bool> accepts) =>
            at < statement.To && statement.Tokens[at].IsStringLiteral
            && SqlLiteral.TryGetContent(statement.Source, statement.Tokens[at], out var text, out var start, out var end)
            && accepts(text[start..end]);

        // An optional pg_catalog. before a name.
        bool Catalog(ref int at)
        {
            if (Name(at, "pg_catalog") && Is(at + 1, SqlTokenKind.Other) && statement.Word(at + 1) is ".")
            {
                at += 2;
            }

            return true;
        }
    }
}
