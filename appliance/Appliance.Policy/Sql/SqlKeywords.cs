using System.Collections.Frozen;

namespace Appliance.Policy.Sql;

/// <summary>Upper-case keyword strings, looked up by span so that known words cost no allocation.</summary>
internal static class SqlKeywords
{
    public const string Unknown = "UNKNOWN";

    /// <summary>A statement PostgreSQL's grammar rejects before anything runs (it starts with a literal or an operator).</summary>
    public const string Invalid = "INVALID";

    private static readonly string[] Known =
    [
        "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "TRUNCATE", "ALTER", "CREATE", "GRANT",
        "REVOKE", "COPY", "DO", "CALL", "PREPARE", "EXECUTE", "DEALLOCATE", "DISCARD", "EXPLAIN", "WITH",
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "SET", "RESET",
        "SHOW", "DECLARE", "FETCH", "MOVE", "CLOSE", "VALUES", "TABLE", "VACUUM", "ANALYZE", "ANALYSE",
        "REINDEX", "CLUSTER", "LOCK", "LISTEN", "NOTIFY", "UNLISTEN", "LOAD", "CHECKPOINT", "REFRESH",
        "COMMENT", "SECURITY", "REASSIGN", "IMPORT", "WHERE", "FROM", "TO", "AS", "OR", "REPLACE",
        "FUNCTION", "PROCEDURE", "LANGUAGE", "CURSOR", "FOR", "ATOMIC", "CASE", "ALL", "RECURSIVE",
        "MATERIALIZED", "NOT", "ON", "OF", "KEY", "BEFORE", "AFTER", "INSTEAD", "INTO", "ONLY", "SKIP",
        "NOWAIT", "CASCADE", "RESTRICT", "NO", "OPTION", "AND", "TRUE", "FALSE", "OFF", "VERBOSE",
        "SEARCH", "CYCLE", "RETURN", "PERFORM", "STDIN", "STDOUT", "PROGRAM", "TEMP", "TEMPORARY",
        "UNLOGGED", "UNIQUE", "GLOBAL", "LOCAL", "TRUSTED", "PROCEDURAL", "INDEX", "VIEW", "SCHEMA",
        "DATABASE", "ROUTINE", "TRIGGER", "SEQUENCE", "TYPE", "DOMAIN", "EXTENSION", "ROLE", "USER",
        "GROUP", "OWNED", "POLICY", "RULE", "SERVER", "FOREIGN", "DATA", "WRAPPER", "PUBLICATION",
        "SUBSCRIPTION", "TABLESPACE", "AGGREGATE", "CAST", "COLLATION", "CONVERSION", "EVENT", "OPERATOR",
        "CLASS", "FAMILY", "STATISTICS", "TEXT", "TRANSFORM", "ACCESS", "METHOD", "DEFAULT", "PRIVILEGES",
        "LARGE", "OBJECT", "MAPPING", "CONFIGURATION", "DICTIONARY", "PARSER", "TEMPLATE", "SYSTEM",
        "CONSTRAINT", "THEN", "ELSE", "LOOP", "IF", "WHEN", "ELSIF", "USING", "RETURNING",
    ];

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Known.ToFrozenDictionary(k => k, k => k, StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Object types that follow CREATE/ALTER/DROP in a command name (<c>DROP TABLE</c>); the
    /// modifiers in <see cref="CommandModifiers"/> are skipped over.
    /// </summary>
    public static readonly FrozenSet<string> ObjectTypes = FrozenSet.Create(
        StringComparer.Ordinal,
        "TABLE", "INDEX", "VIEW", "MATERIALIZED", "SCHEMA", "DATABASE", "FUNCTION", "PROCEDURE", "ROUTINE",
        "TRIGGER", "SEQUENCE", "TYPE", "DOMAIN", "EXTENSION", "ROLE", "USER", "GROUP", "OWNED", "POLICY",
        "RULE", "SERVER", "FOREIGN", "DATA", "WRAPPER", "PUBLICATION", "SUBSCRIPTION", "TABLESPACE",
        "AGGREGATE", "CAST", "COLLATION", "CONVERSION", "EVENT", "LANGUAGE", "OPERATOR", "CLASS", "FAMILY",
        "STATISTICS", "TEXT", "SEARCH", "TRANSFORM", "ACCESS", "METHOD", "DEFAULT", "PRIVILEGES", "LARGE",
        "OBJECT", "MAPPING", "CONFIGURATION", "DICTIONARY", "PARSER", "TEMPLATE", "SYSTEM");

    public static readonly FrozenSet<string> CommandModifiers = FrozenSet.Create(
        StringComparer.Ordinal,
        "OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE", "GLOBAL", "LOCAL", "TRUSTED", "PROCEDURAL",
        "RECURSIVE");

    /// <summary>The upper-case form of a word, without allocating when it is a known keyword.</summary>
    public static string ToUpper(ReadOnlySpan<char> word) =>
        Lookup.TryGetValue(word, out var known) ? known : word.ToString().ToUpperInvariant();

    /// <summary>The keyword a word spells, or null; never allocates.</summary>
    public static string? AsKeyword(ReadOnlySpan<char> word) =>
        Lookup.TryGetValue(word, out var known) ? known : null;

    public static bool Is(ReadOnlySpan<char> word, string keyword) =>
        word.Equals(keyword, StringComparison.OrdinalIgnoreCase);
}
