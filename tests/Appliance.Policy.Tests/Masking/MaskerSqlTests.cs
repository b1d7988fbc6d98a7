using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

public class MaskerSqlTests
{
    private readonly Masker _masker = MaskingTestData.Masker();

    [Theory]
    [InlineData(@"SELECT E'\x34\x31\x31\x31 1111 1111 1111'", "SELECT '****'")]
    [InlineData(@"SELECT U&'\0034111 1111 1111 1111' AS c", "SELECT '****' AS c")]
    [InlineData(@"SELECT u&'\+000034111 1111 1111 1111'", "SELECT '****'")]
    [InlineData(@"SELECT '\061\062\063-45-6789', 1", "SELECT '****', 1")]
    [InlineData(@"SELECT e'ssn \061\062\063-45-6789' || 'x'", "SELECT '****' || 'x'")]
    [InlineData(@"SELECT U&'!0034111 1111 1111 1111' UESCAPE '!'", "SELECT '****' UESCAPE '!'")]
    [InlineData(@"SELECT U&'it''s !0034111 1111 1111 1111' UESCAPE '!'", "SELECT '****' UESCAPE '!'")]
    [InlineData("select '4111'\n '111111111111' as c;", "select '****' as c;")]
    [InlineData("SELECT 'ssn 123-'\n\t'45-6789' AS s", "SELECT '****' AS s")]
    [InlineData(@"SELECT '\x0034313131313131313131313131313131'::bytea", "SELECT '****'::bytea")] // probe LA5
    [InlineData(@"INSERT INTO t VALUES ('\X3132332d34352d36373839')", "INSERT INTO t VALUES ('****')")]
    [InlineData(@"SELECT '\x34 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31'::bytea", "SELECT '****'::bytea")] // probe MA5: spaces between pairs
    [InlineData("SELECT decode('34313131313131313131313131313131', 'hex')", "SELECT decode('****', 'hex')")]
    [InlineData(@"SELECT E'\\064\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061\\061'::bytea", "SELECT '****'::bytea")]
    public void MaskSqlLiterals_ALiteralWhoseDecodedValueIsFlagged_IsShownMaskedWhole(string sql, string masked) =>
        Assert.Equal(masked, _masker.MaskSqlLiterals(sql));

    [Theory]
    [InlineData(@"SELECT E'line\nbreak', '\d+'")]
    [InlineData(@"SELECT U&'d\0061t\+000061'")]
    [InlineData("SELECT 'no backslash 4111 1111 1111 1111'")]
    [InlineData(@"SELECT $$\x34\x31$$, ""\x34""")]
    [InlineData("SELECT 'a'\n 'b',\n 4111")]
    public void MaskSqlLiterals_OtherwiseLeavesTheTextAsItIs(string sql) =>
        Assert.Same(sql, _masker.MaskSqlLiterals(sql));

    [Theory]
    [InlineData("ALTER ROLE demo_reader PASSWORD 'hunter2'", "ALTER ROLE demo_reader PASSWORD '****'")]
    [InlineData("alter user u with encrypted password 'SCRAM-SHA-256$4096:abc'", "alter user u with encrypted password '****'")]
    [InlineData("CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user 'u', password 'p4ss')", "CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user '****', password '****')")]
    [InlineData("SELECT dblink_connect('host=db user=u password=p4ss')", "SELECT dblink_connect('****')")]
    [InlineData("SELECT dblink_exec('postgresql://u:R02secret@h/d', 'select 1')", "SELECT dblink_exec('****', 'select 1')")]
    [InlineData("ALTER SERVER s OPTIONS (SET sslpassword 'k3y')", "ALTER SERVER s OPTIONS (SET sslpassword '****')")]
    [InlineData("CREATE USER MAPPING FOR u SERVER s OPTIONS (\"password\" 'p')", "CREATE USER MAPPING FOR u SERVER s OPTIONS (\"password\" '****')")]
    [InlineData("SET my.password = 'p'", "SET my.password = '****'")]
    [InlineData("SET my.password TO 'p'", "SET my.password TO '****'")]
    [InlineData("SELECT set_config('my.password', 'p', false)", "SELECT set_config('****', '****', false)")]
    [InlineData("/*/ x /*/ ALTER ROLE r PASSWORD 'p'", "****")]
    [InlineData("ALTER ROLE r PASSWORD 'p", "ALTER ROLE r PASSWORD ****")]
    [InlineData("ALTER USER u PASSWORD 'abc'\n'def'", "ALTER USER u PASSWORD '****'")]
    // SQL in a literal (a body, query_to_xml's query) is shown with its passwords hidden, not hidden whole:
    // a comment saying password= would hide from the audit log and from approvers what runs (probe AM).
    [InlineData("DO $$ /* password=x */ BEGIN DELETE FROM orders; END $$", "DO $$ /* **** */ BEGIN DELETE FROM orders; END $$")]
    [InlineData(
        "select query_to_xml('select full_name from customers where id < 3 /* postgres://a:b@c/d */', true, false, '')",
        "select query_to_xml('select full_name from customers where id < 3 /* **** */', true, false, '')")]
    [InlineData("DO $$BEGIN EXECUTE 'ALTER ROLE r PASSWORD ''x'''; END$$", "DO $$BEGIN EXECUTE 'ALTER ROLE r PASSWORD ''****'''; END$$")]
    [InlineData("DO 'BEGIN PERFORM dblink_connect(''host=h password=p''); END'", "DO 'BEGIN PERFORM dblink_connect(''****''); END'")]
    [InlineData("DO $$<<main>> DECLARE x text := 'password=p'; BEGIN NULL; END$$", "DO $$<<main>> DECLARE x text := '****'; BEGIN NULL; END$$")]
    [InlineData("SELECT query_to_xml('(SELECT 1) -- password=x', true, false, '')", "SELECT query_to_xml('(SELECT 1) /* **** */', true, false, '****')")]
    [InlineData("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $f$ SELECT 1 -- password: hunter2\n $f$", "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $f$ SELECT 1 /* **** */$f$")]
    [InlineData("DO E'BEGIN /* password=y */ DELETE FROM orders; END'", "DO E'BEGIN /* **** */ DELETE FROM orders; END'")]
    [InlineData("DO E'BEGIN PERFORM dblink_connect(''password=p''); END'", @"DO E'BEGIN PERFORM dblink_connect(\'****\'); END'")]
    [InlineData(@"DO $$ BEGIN EXECUTE E'DELETE FROM orders /* password=x */ WHERE note = ''a\\b'''; END $$", @"DO $$ BEGIN EXECUTE E'DELETE FROM orders /* **** */ WHERE note = \'****\''; END $$")]
    [InlineData("SELECT 1 /* password=hunter9 */", "SELECT 1 /* **** */")]
    [InlineData("SELECT 1 -- see postgres://u:pw@h/d", "SELECT 1 /* **** */")]
    [InlineData("SELECT crypt('x', password) FROM users WHERE password = crypt('x', password)", "SELECT crypt('****', password) FROM users WHERE password = crypt('****', password)")]
    // Every literal of a statement that names a password, the unquoted value of SET, a quoted or spelled-out value in a comment,
    // and a password spelled with escapes (probes GD2, GD3, GD5).
    [InlineData("SELECT set_config('my.password', ('x'), false)", "SELECT set_config('****', ('****'), false)")]
    [InlineData("SELECT set_config('my.password', lower('X'), false)", "SELECT set_config('****', lower('****'), false)")]
    // SQL is shown to approvers wherever it stands (probe IB1): after a connection string, or behind empty statements.
    [InlineData("SELECT dblink_exec('host=h password=pw', 'DELETE FROM t')", "SELECT dblink_exec('****', 'DELETE FROM t')")]
    [InlineData("SELECT dblink_exec('password_conn', 'DELETE FROM t')", "SELECT dblink_exec('****', 'DELETE FROM t')")]
    [InlineData("DO $$BEGIN EXECUTE ';DELETE FROM t'; END$$ -- password", "DO $$BEGIN EXECUTE ';DELETE FROM t'; END$$ /* **** */")]
    [InlineData("SET my.password = hunterS06", "SET my.password = ****")]
    [InlineData("SELECT 1; SET LOCAL my.password = \"hunterHA01\"", "SELECT 1; SET LOCAL my.password = ****")]
    [InlineData("ALTER ROLE r SET my.password TO hunter2", "ALTER ROLE r SET my.password TO ****")]
    [InlineData("SELECT * FROM users WHERE password = crypt('x', password)", "SELECT * FROM users WHERE password = crypt('****', password)")]
    [InlineData(@"DO $$BEGIN PERFORM dblink_connect(E'host=h pass\167ord=hunter9'); END$$", "DO $$BEGIN PERFORM dblink_connect('****'); END$$")]
    [InlineData("SET my.password TO 12345", "SET my.password TO ****")]
    [InlineData("SELECT 1 /* password='hunter9' */", "SELECT 1 /* **** */")]
    [InlineData("SELECT 1 -- the password is hunter9", "SELECT 1 /* **** */")]
    [InlineData(@"SELECT dblink_connect(E'host=h pass\167ord=hunter9')", "SELECT dblink_connect('****')")]
    [InlineData(@"SELECT dblink_connect(U&'host=h pass\0077ord=hunter9')", "SELECT dblink_connect('****')")]
    public void MaskSqlLiterals_APassword_IsHidden_WithOrWithoutMaskingRules(string sql, string masked)
    {
        Assert.Equal(masked, _masker.MaskSqlLiterals(sql));
        Assert.Equal(masked, Masker.Compile([]).MaskSqlLiterals(sql));
    }

    [Theory]
    [InlineData("SELECT 'my password is hunter2'", "SELECT '****'")]
    [InlineData("ALTER ROLE r PASSWORD 'SELECT password=1'", "ALTER ROLE r PASSWORD '****'")]
    public void MaskSqlLiterals_APasswordThatIsNotCode_IsHiddenWhole(string sql, string masked) =>
        Assert.Equal(masked, _masker.MaskSqlLiterals(sql));

    [Fact]
    public void MaskSqlLiterals_AUriWithoutAPassword_HidesNothing() =>
        Assert.Equal("SELECT 'https://example.com/a@b'", _masker.MaskSqlLiterals("SELECT 'https://example.com/a@b'"));

    [Fact]
    public void MaskSqlLiterals_TheWordPasswordElsewhere_HidesNothing() =>
        Assert.Equal("SELECT password_hint FROM users WHERE id = 1", _masker.MaskSqlLiterals("SELECT password_hint FROM users WHERE id = 1"));
}
