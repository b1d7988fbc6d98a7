using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Sql;

namespace Appliance.Policy.Tests.Guardrails;

/// <summary>Role and database administration, and signalling other sessions, are refused on every connection, whatever its policy.</summary>
public class BuiltInGuardrailsTests
{
    private static GuardrailVerdict Evaluate(string sql, params GuardrailRule[] configured) =>
        GuardrailEngine.Compile(BuiltInGuardrails.With(configured)).Evaluate(sql, new SqlSession());

    private static void AssertBlockedBy(string sql, string rule)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.RuleName == rule);
    }

    [Theory]
    [InlineData("ALTER ROLE demo_reader PASSWORD 'x'")]
    [InlineData("alter user current_user with encrypted password 'SCRAM-SHA-256$4096:abc'")]
    [InlineData("ALTER ROLE demo_reader SET client_encoding = 'SJIS'")]
    [InlineData("ALTER USER demo_reader IN DATABASE demo SET statement_timeout = '1ms'")]
    [InlineData("ALTER ROLE demo_reader RENAME TO x")]
    [InlineData("CREATE ROLE backdoor LOGIN PASSWORD 'x'")]
    [InlineData("CREATE USER backdoor")]
    [InlineData("DROP ROLE IF EXISTS someone")]
    [InlineData("ALTER GROUP g ADD USER u")]
    [InlineData("ALTER DATABASE demo SET default_transaction_read_only = off")]
    [InlineData("ALTER SYSTEM SET log_statement = 'none'")]
    [InlineData("BEGIN; ALTER ROLE demo_reader PASSWORD 'x'; ROLLBACK")]
    [InlineData("DO $$BEGIN EXECUTE 'ALTER ROLE demo_reader PASSWORD ''x'''; END$$")]
    [InlineData("GRANT demo_reader TO someone")]
    [InlineData("REVOKE pg_read_all_data FROM demo_reader")]
    [InlineData("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC")]
    [InlineData("REASSIGN OWNED BY demo_reader TO someone")]
    [InlineData("SECURITY LABEL FOR selinux ON ROLE demo_reader IS 'x'")]
    public void RoleAndDatabaseAdministration_IsBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.UpstreamRoleName);

    [Theory]
    [InlineData("SELECT current_user, session_user")]
    [InlineData("SET ROLE NONE")]
    [InlineData("ALTER TABLE t ADD COLUMN c int")]
    [InlineData("SELECT rolname FROM pg_roles")]
    [InlineData("SET statement_timeout = '5s'")]
    [InlineData("GRANT SELECT ON orders TO analyst")]
    [InlineData("REVOKE ALL PRIVILEGES ON TABLE t FROM PUBLIC")]
    public void OtherStatements_AreLeftToTheConfiguredRules(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    [Fact]
    public void AStatementTheEngineCannotRead_IsBlocked_EvenWithoutConfiguredRules()
    {
        var verdict = Evaluate("DO $$BEGIN EXECUTE format('ALTER %s demo_reader PASSWORD %L', 'ROLE', 'x'); END$$");
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement);
    }

    [Theory]
    [InlineData("SELECT pg_terminate_backend(10440)")]
    [InlineData("select PG_CANCEL_BACKEND(pid) from pg_stat_get_backend_idset() s(id), pg_stat_get_backend_pid(id) pid")]
    [InlineData("SELECT pg_catalog.pg_terminate_backend(1, 0)")]
    [InlineData("SELECT \"pg_terminate_backend\"(1)")]
    [InlineData("DO $$BEGIN PERFORM pg_terminate_backend(10440); END$$")]
    [InlineData("DO $$BEGIN EXECUTE 'SELECT pg_cancel_' || 'backend(10440)'; END$$")]
    public void SignallingASession_IsBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.OtherSessionsName);

    [Theory]
    [InlineData("SELECT pg_backend_pid()")]
    [InlineData("SELECT pg_terminate_backends FROM t")]
    public void OtherFunctions_AreNotSignals(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    /// <summary>The server's files and programs: COPY to or from them, and the functions that read or write them (probe EB3, EB4).</summary>
    [Theory]
    [InlineData("COPY t FROM PROGRAM 'psql -c \"DROP TABLE victim\"'")]
    [InlineData("copy (select 1) to program 'sh'")]
    [InlineData("COPY t FROM '/etc/passwd'")]
    [InlineData("COPY t TO E'/var/lib/postgresql/data/postgresql.auto.conf'")]
    [InlineData("SELECT lo_export(lo_from_bytea(0, 'work_mem = 77MB'), '/pgdata/postgresql.auto.conf')")]
    [InlineData("SELECT pg_catalog.lo_import('/pgdata/server.key')")]
    [InlineData("SELECT encode(pg_read_binary_file('base/16384/16385'), 'hex')")]
    [InlineData("SELECT \"pg_read_file\"('pg_hba.conf')")]
    [InlineData("DO $$BEGIN PERFORM pg_file_write('x', 'y', false); END$$")]
    [InlineData("CREATE FUNCTION f() RETURNS oid LANGUAGE sql AS 'SELECT lo_import(''/etc/passwd'')'")]
    [InlineData("CREATE FOREIGN TABLE f (line text) SERVER files OPTIONS (program 'psql -c \"TRUNCATE victim\"')")] // probe EF3, EI2
    [InlineData("create foreign table f (line text) server files options (FILENAME '/etc/passwd')")]
    [InlineData("ALTER FOREIGN TABLE f OPTIONS (SET program 'sh -c id')")]
    [InlineData("SELECT * FROM heap_page_items(get_raw_page('customers', 0))")] // probe EI3
    [InlineData("SELECT data FROM pg_logical_slot_peek_changes('s', NULL, NULL)")]
    [InlineData("SELECT pg_ls_dir('.')")]
    [InlineData("SELECT pg_read_file_old('/etc/passwd', 0, 2000)")] // probe FA3: PostgreSQL 15's older name of pg_read_file
    public void ServerFilesAndPrograms_AreBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.ServerFilesName);

    [Theory]
    [InlineData("COPY t TO STDOUT")]
    [InlineData("COPY t (a, b) FROM STDIN WITH (FORMAT csv)")]
    [InlineData("COPY (SELECT 'to' FROM t WHERE a = 'from') TO STDOUT")]
    [InlineData("SELECT lo_get(42), lo_from_bytea(0, 'x')")]
    [InlineData("GRANT EXECUTE ON FUNCTION pg_read_file(text) TO analyst")]
    [InlineData("SELECT lo_export_count FROM t")]
    [InlineData("CREATE FOREIGN TABLE remote_orders (id int) SERVER shop OPTIONS (schema_name 'public', table_name 'orders')")]
    public void ClientCopiesAndLargeObjects_AreNotServerFiles(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    /// <summary>
    /// A function the gateway finds by name, renamed or made an operator, a cast or an aggregate's
    /// step, would run unlooked at: that statement is unreadable, so every rule blocks it (probe EB1, EB2).
    /// </summary>
    [Theory]
    [InlineData("ALTER FUNCTION dblink_exec(text, text) RENAME TO note_it")]
    [InlineData("ALTER FUNCTION public.dblink_exec(text) SET SCHEMA hidden")]
    [InlineData("CREATE OPERATOR ### (FUNCTION = ts_stat, RIGHTARG = text)")]
    [InlineData("CREATE OPERATOR public.!!! (PROCEDURE = \"dblink_exec\", LEFTARG = text, RIGHTARG = text)")]
    [InlineData("CREATE CAST (text AS regclass) WITH FUNCTION query_to_xml(text, boolean, boolean, text)")]
    [InlineData("CREATE AGGREGATE keep(text) (SFUNC = set_config, STYPE = text)")]
    [InlineData("ALTER ROUTINE lo_export(oid, text) RENAME TO save")]
    public void AFunctionReadByName_UnderAnotherName_IsUnreadable(string sql)
    {
        var verdict = Evaluate(sql);
        Assert.Equal(GuardrailOutcome.Block, verdict.Outcome);
        Assert.Contains(verdict.Matches, m => m.Reason == GuardrailMatchReason.UnknownStatement);
    }

    [Theory]
    [InlineData("ALTER FUNCTION my_report(int) RENAME TO report")]
    [InlineData("CREATE EXTENSION dblink")]
    [InlineData("ALTER EXTENSION dblink UPDATE")] // probe EF5: an extension's name is no function's
    [InlineData("ALTER EXTENSION dblink SET SCHEMA hidden")] // its functions keep their names, which are found schema-qualified too
    public void OtherFunctionsUnderOtherNames_AreLeftToTheConfiguredRules(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    /// <summary>An operator can change what = means in everyone's statements (probe EK1).</summary>
    [Theory]
    [InlineData("CREATE OPERATOR demo_reader.= (FUNCTION = always_true, LEFTARG = varchar, RIGHTARG = varchar)")]
    [InlineData("create operator === (function = texteq, leftarg = text, rightarg = text)")]
    [InlineData("ALTER OPERATOR = (varchar, varchar) OWNER TO someone")]
    [InlineData("CREATE OPERATOR CLASS c FOR TYPE t USING btree AS OPERATOR 1 <")]
    public void Operators_AreBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.OperatorsName);

    /// <summary>A catalog written renames a function or repoints a foreign table under every rule (probe EJ1).</summary>
    [Theory]
    [InlineData("UPDATE pg_proc SET proname = 'my_exec' WHERE proname = 'dblink_exec'")]
    [InlineData("update pg_catalog.pg_foreign_table set ftserver = 16500")]
    [InlineData("DELETE FROM \"pg_catalog\".\"pg_attribute\" WHERE attrelid = 1")]
    [InlineData("INSERT INTO pg_proc SELECT * FROM pg_proc WHERE oid = 1")]
    [InlineData("DO $$BEGIN UPDATE pg_attribute SET attname = 'x' WHERE attname = 'ssn'; END$$")]
    public void WritesToSystemCatalogs_AreBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.SystemCatalogsName);

    [Theory]
    [InlineData("SELECT proname FROM pg_proc WHERE proname = 'lower'")]
    [InlineData("UPDATE orders SET note = 'pg_proc' WHERE id = 1")]
    public void ReadingSystemCatalogs_IsLeftToTheConfiguredRules(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);

    /// <summary>
    /// What may turn off the check that ends a cut session's backend (probes BI1, BJ1, BJ2): the
    /// setting named anywhere but in SHOW, however spelled, and set_config of a name that is not a literal.
    /// </summary>
    [Theory]
    [InlineData("SET client_connection_check_interval = 0")]
    [InlineData("SET -- SHOW\nclient_connection_check_interval = 0")]
    [InlineData("SET LOCAL \"client_connection_check_interval\" TO 0")]
    [InlineData("SELECT set_config('client_connection_check_interval', '0', false)")]
    [InlineData("SELECT pg_catalog.set_config(E'client\\x5fconnection_check_interval', '0', false)")]
    [InlineData("SELECT set_config($1, $2, false)")]
    [InlineData("SELECT set_config(substr('SHOW client_connection_check_interval', 6), '0', false)")]
    [InlineData("SELECT \"set_config\"('client_connection' || '_check_interval', '0', false)")]
    [InlineData("SELECT set_config(setting_name => 'x', new_value => '0', is_local => false)")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET client_connection_check_interval = 0 AS 'SELECT 1'")]
    [InlineData("DO $$BEGIN PERFORM set_config(chr(99) || 'lient_connection_check_interval', '0', false); END$$")]
    [InlineData("SELECT 1; SHOW client_connection_check_interval; RESET client_connection_check_interval")]
    [InlineData("CREATE VIEW gv AS SELECT name, setting FROM pg_catalog.pg_settings")] // probe BM1: UPDATE gv SET setting = '0' …
    [InlineData("BEGIN; INSERT INTO t VALUES (1); PREPARE TRANSACTION 'bp_2pc'")] // probe BP1: it outlived the grant, holding its locks
    [InlineData("COMMIT PREPARED 'bp_2pc'")]
    [InlineData("rollback prepared 'bp_2pc'")]
    [InlineData("CREATE OR REPLACE RULE r AS ON UPDATE TO t DO INSTEAD SELECT * FROM \"pg_settings\"")]
    // pg_dump's form, with anything that lets it set other settings than its filter's literal.
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'client_connection_check_interval'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'x' OR true")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name <> 'x'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name LIKE 'client%'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = $1")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings")]
    [InlineData("SELECT set_config(name, '0', false) FROM my_settings WHERE name = 'x'")]
    [InlineData("SELECT set_config(setting, '0', false) FROM pg_settings WHERE name = 'x'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = U&'client\\005fconnection_check_interval'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings s, pg_settings t WHERE s.name = 'x'")]
    [InlineData("SELECT set_config(name, '0', false), set_config(name, '0', false) FROM pg_settings WHERE name = 'x'")]
    // Only pg_dump's setting and values (review R6: a "=" of the database's own, first on the search_path, reached other rows).
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'statement_timeout'")]
    [InlineData("SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'")]
    [InlineData("SELECT set_config(name, 'view', false) FROM pg_settings WHERE name = 'work_mem'")]
    public void ChangingTheConnectionCheck_IsBlocked_WithNoConfiguredRule(string sql) =>
        AssertBlockedBy(sql, BuiltInGuardrails.SessionEndName);

    [Theory]
    [InlineData("SHOW client_connection_check_interval")]
    [InlineData("BEGIN; PREPARE q AS SELECT 1; COMMIT; ROLLBACK")]
    [InlineData("SELECT name, setting FROM pg_settings WHERE name LIKE 'client%'")]
    [InlineData("SELECT set_config('application_name', $1, false)")]
    [InlineData("SELECT set_config('my.tenant', '42', true), 'client_connection_check_interval is one second'")]
    // pg_dump 15.8 and later, before anything else (probe DA1: every dump through the gateway stopped here).
    [InlineData("SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'")]
    [InlineData("select pg_catalog.set_config(\"name\", 'view', true) from pg_catalog.pg_settings where name = 'restrict_nonsystem_relation_kind'")]
    public void ReadingTheConnectionCheck_AndOtherSettings_AreLeftToTheConfiguredRules(string sql) =>
        Assert.Equal(GuardrailOutcome.None, Evaluate(sql).Outcome);
}
