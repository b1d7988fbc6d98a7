using System.Collections.Frozen;

namespace Appliance.Policy.Sql;

/// <summary>
/// What reaches past the database into the server's machine, and functions under names the
/// classifier does not know. A server file written (<c>lo_export</c> of <c>postgresql.auto.conf</c>,
/// then <c>pg_reload_conf()</c>) has <c>ALTER SYSTEM</c>'s effect; one read (<c>lo_import</c>,
/// <c>pg_read_binary_file</c> of a table's data file) returns table data beneath masking; a
/// program run by COPY does anything at all (probe EB3, EB4). Each is classified as a
/// <see cref="ServerFiles"/> statement, which a built-in rule blocks on every connection.
/// </summary>
internal static partial class SqlClassifier
{
    /// <summary>The kind and command of a COPY to or from a server file or program, or a call of a server file function.</summary>
    public const string ServerFiles = "SERVER FILES";

    /// <summary>
    /// Server-side file access of PostgreSQL's core and adminpack, and what reads table data
    /// beneath the rows (probe EI3: pageinspect's raw pages held SSNs whole): pageinspect's readers
    /// of a relation, pg_walinspect's of the WAL, logical decoding's changes.
    /// </summary>
    private static readonly FrozenSet<string> ServerFileFunctions = FrozenSet.Create(
        StringComparer.Ordinal,
        "lo_import", "lo_export", "pg_read_file", "pg_read_file_old", "pg_read_binary_file", "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync",
        "pg_ls_dir", "pg_stat_file", "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_ls_logicalsnapdir",
        "pg_ls_logicalmapdir", "pg_ls_replslotdir",
        "get_raw_page", "bt_page_items", "bt_multi_page_stats", "heap_page_item_attrs", "tuple_data_split",
        "pg_get_wal_block_info", "pg_get_wal_records_info", "pg_get_wal_record_info", "pg_get_wal_records_info_till_end_of_wal",
        "pg_logical_slot_get_changes", "pg_logical_slot_peek_changes", "pg_logical_slot_get_binary_changes", "pg_logical_slot_peek_binary_changes");

    /// <summary>The kind and command of a write to a system catalog (a <c>pg_*</c> table).</summary>
    public const string CatalogWrite = "CATALOG WRITE";

    /// <summary>
    /// UPDATE [ONLY] t, INSERT INTO t, DELETE FROM [ONLY] t, MERGE INTO t, TRUNCATE [TABLE] [ONLY] t, …
    /// where a t (its last name part) is a <c>pg_*</c> table: PostgreSQL reserves the prefix for its catalogs.
    /// </summary>
    private static bool WritesCatalog(Statement statement, int first, string kind)
    {
        var at = first + 1;
        if (kind is "INSERT" or "MERGE" && statement.IsKeyword(at, "INTO") || kind == "DELETE" && statement.IsKeyword(at, "FROM")
            || kind == "TRUNCATE" && statement.IsKeyword(at, "TABLE"))
        {
            at++;
        }

        for (; at < statement.To; at++)
        {
            if (statement.IsKeyword(at, "ONLY"))
            {
                continue;
            }

            // schema.table: the table's name is the last part.
            while (at + 2 < statement.To && statement.Tokens[at + 1].Kind == SqlTokenKind.Other && statement.Source[statement.Tokens[at + 1].Start] == '.')
            {
                at += 2;
            }

            if (at >= statement.To || statement.Tokens[at].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
            {
                return false;
            }

            if (SqlLiteral.Identifier(statement.Source, statement.Tokens[at]).StartsWith("pg_", StringComparison.Ordinal))
            {
                return true;
            }

            // TRUNCATE a, b: each table.
            if (kind != "TRUNCATE" || at + 1 >= statement.To || statement.Tokens[at + 1].Kind != SqlTokenKind.Comma)
            {
                return false;
            }

            at++;
        }

        return false;
    }

    /// <summary>file_fdw's options: a foreign table reading a server file or a program's output (probe EF3, EI2).</summary>
    private static bool HasFileOptions(Statement statement, int first)
    {
        for (var i = first + 1; i < statement.To - 1; i++)
        {
            if (statement.Tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && SqlLiteral.Identifier(statement.Source, statement.Tokens[i]) is "program" or "filename"
                && statement.Tokens[i + 1].IsStringLiteral)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Functions the gateway finds by name: those that run SQL given as text, the server file
    /// functions, and those the masking flow check follows. Renamed (<c>ALTER FUNCTION … RENAME
    /// TO</c>, <c>SET SCHEMA</c>) or called through an operator, a cast or an aggregate, they
    /// would run unlooked at: <c>CREATE OPERATOR ### (FUNCTION = ts_stat …)</c> returned masked
    /// values, a renamed <c>dblink_exec</c> ran a TRUNCATE (probe EB1, EB2).
    /// </summary>
    private static readonly FrozenSet<string> FunctionsReadByName =
        SqlTextFunctions.Keys.Concat(ServerFileFunctions).Concat(Masking.Masker.Sinks).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Commands that give a function another name or another way to be called.</summary>
    private static bool MayAliasAFunction(string command) => command is "CREATE OPERATOR" or "CREATE CAST" or "CREATE AGGREGATE"
        or "ALTER FUNCTION" or "ALTER PROCEDURE" or "ALTER ROUTINE" or "ALTER AGGREGATE" or "ALTER OPERATOR";

    /// <summary>Whether the statement names, anywhere, a function the gateway reads by name.</summary>
    private static bool NamesFunctionReadByName(Statement statement, int first)
    {
        for (var i = first + 1; i < statement.To; i++)
        {
            var token = statement.Tokens[i];
            if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                && FunctionsReadByName.Contains(SqlLiteral.Identifier(statement.Source, token)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A call (not a signature) of a server file function, with <paramref name="open"/> its '('.</summary>
    private static bool IsServerFileCall(Statement statement, int open)
    {
        var name = open - 1;
        return name >= statement.From
            && statement.Tokens[name].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && ServerFileFunctions.Contains(SqlLiteral.Identifier(statement.Source, statement.Tokens[name]).ToLowerInvariant())
            && !IsSignature(statement, name);
    }

    /// <summary>After COPY's FROM or TO at <paramref name="direction"/>: a file name or PROGRAM, not STDIN or STDOUT.</summary>
    private static bool CopiesServerSide(Statement statement, int direction) =>
        direction + 1 < statement.To
        && (statement.Tokens[direction + 1].IsStringLiteral || statement.IsKeyword(direction + 1, "PROGRAM"));
}
