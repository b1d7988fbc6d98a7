import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.postgresql.PGResultSetMetaData;

/**
 * pgjdbc, the driver DBeaver uses, through the gateway: one scenario per run, doing what DBeaver
 * does with a connection. Driven by JdbcTests.cs, run as a single-file source program:
 *
 *   java -cp /usr/share/java/postgresql.jar GatewayProbe.java SCENARIO PORT USER DATABASE SSLMODE [TABLE]
 *
 * The password comes from PROBE_PASSWORD. Output: one fact a line, fields separated by '|'
 * (a backslash, '|' or line break inside a field escaped as \\, \| and \n), NULL as <null>.
 * A SQLException that ends the scenario prints "error|SQLSTATE|message" and exits 3.
 */
public final class GatewayProbe {
    private GatewayProbe() {
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        String table = args.length > 5 ? args[5] : null;
        Properties properties = new Properties();
        properties.setProperty("user", args[2]);
        properties.setProperty("password", System.getenv("PROBE_PASSWORD"));
        properties.setProperty("sslmode", args[4]);
        // As DBeaver's PostgreSQL driver settings can: binary results, and server-side
        // statements from the fifth execution of a PreparedStatement on (pgjdbc's default).
        properties.setProperty("binaryTransfer", "true");
        properties.setProperty("prepareThreshold", "5");
        properties.setProperty("ApplicationName", "gateway-probe");
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("socketTimeout", "60");
        String url = "jdbc:postgresql://127.0.0.1:" + args[1] + "/" + args[3];
        try (Connection connection = DriverManager.getConnection(url, properties)) {
            switch (scenario) {
                case "connect" -> connect(connection);
                case "navigator" -> navigator(connection, table);
                case "prepared" -> prepared(connection, table);
                case "fetch" -> fetch(connection);
                case "batch" -> batch(connection, table);
                case "nonascii" -> nonAscii(connection);
                case "isolation" -> isolation(connection);
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            }
        } catch (SQLException e) {
            print("error", e.getSQLState(), e.getMessage());
            System.exit(3);
        }
    }

    /** What DBeaver asks right after connecting. */
    private static void connect(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        print("product", meta.getDatabaseProductName(), String.valueOf(meta.getDatabaseMajorVersion()));
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT current_schema(), session_user, 40 + 2")) {
            rows.next();
            print("session", rows.getString(1), rows.getString(2), String.valueOf(rows.getInt(3)));
        }

        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rows.next();
            print("upstream-tls", String.valueOf(rows.getBoolean(1)));
        }
    }

    /**
     * What pgjdbc reads back of the isolation level it sets, as connection pools and frameworks
     * ask it (SHOW TRANSACTION ISOLATION LEVEL): java.sql.Connection's constants, 8 serializable.
     */
    private static void isolation(Connection connection) throws SQLException {
        connection.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
        print("isolation", String.valueOf(connection.getTransactionIsolation()));
    }

    /** DBeaver's navigator: the table in its schema, its columns and key, then its data view. */
    private static void navigator(Connection connection, String table) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet tables = meta.getTables(null, "public", table, new String[] {"TABLE"})) {
            while (tables.next()) {
                print("table", tables.getString("TABLE_SCHEM"), tables.getString("TABLE_NAME"), tables.getString("TABLE_TYPE"));
            }
        }

        try (ResultSet columns = meta.getColumns(null, "public", table, "%")) {
            while (columns.next()) {
                print("column", columns.getString("ORDINAL_POSITION"), columns.getString("COLUMN_NAME"), columns.getString("TYPE_NAME"), columns.getString("IS_NULLABLE"));
            }
        }

        try (ResultSet keys = meta.getPrimaryKeys(null, "public", table)) {
            while (keys.next()) {
                print("key", keys.getString("COLUMN_NAME"));
            }
        }

        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT t.* FROM public." + table + " t ORDER BY 1 LIMIT 200")) {
            printRows("row", rows);
        }
    }

    /**
     * One PreparedStatement executed eight times: from the fifth on pgjdbc uses a named
     * server-side statement and, with binaryTransfer, binary results.
     */
    private static void prepared(Connection connection, String table) throws SQLException {
        String sql = "SELECT id, email, ssn, card_number, amount, born FROM " + table + " WHERE id = ?";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int execution = 1; execution <= 8; execution++) {
                statement.setInt(1, 1);
                try (ResultSet rows = statement.executeQuery()) {
                    PGResultSetMetaData meta = rows.getMetaData().unwrap(PGResultSetMetaData.class);
                    String format = meta.getFormat(1) == 1 ? "binary" : "text";
                    rows.next();
                    print("execution", String.valueOf(execution), format, rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), rows.getBigDecimal(5).toPlainString(), rows.getDate(6).toString());
                }
            }
        }

        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT name, statement FROM pg_prepared_statements ORDER BY name")) {
            printRows("server-statement", rows);
        }
    }

    /** A fetch size with autocommit off: a named portal read ten rows per Execute (PortalSuspended). */
    /** Autocommit off: the driver sends BEGIN in the batch of each transaction's first statement. */
    private static void nonAscii(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        for (int i = 0; i < 2; i++) {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT 'M\u00fcller', 'na\u00efve caf\u00e9', '\u6771\u4eac1\u4e01\u76ee'")) {
                printRows("text", rows);
            }

            connection.commit();
        }
    }

    private static void fetch(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        String sql = "SELECT g, 'user' || g || '@example.com' AS contact FROM generate_series(1, 95) g ORDER BY g";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setFetchSize(10);
            try (ResultSet rows = statement.executeQuery()) {
                int count = 0;
                while (rows.next()) {
                    count++;
                    if (count == 1 || count == 95) {
                        print("fetched", rows.getString(1), rows.getString(2));
                    }

                    if (count == 1) {
                        // The suspended portal, seen from the same session while it is open.
                        try (Statement other = connection.createStatement();
                                ResultSet cursors = other.executeQuery("SELECT name, statement FROM pg_cursors WHERE name <> '' ORDER BY name")) {
                            printRows("cursor", cursors);
                        }
                    }
                }

                print("rows", String.valueOf(count));
            }
        }

        connection.commit();
    }

    /** A batch with a blocked statement in the middle, then the same connection goes on. */
    private static void batch(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.addBatch("INSERT INTO " + table + " VALUES (1)");
            statement.addBatch("DROP TABLE " + table);
            statement.addBatch("INSERT INTO " + table + " VALUES (2)");
            try {
                print("batch", "ok", Arrays.toString(statement.executeBatch()));
            } catch (BatchUpdateException e) {
                SQLException cause = e.getNextException() != null ? e.getNextException() : e;
                print("batch-error", cause.getSQLState(), cause.getMessage());
            }
        }

        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
            for (int id = 10; id < 13; id++) {
                insert.setInt(1, id);
                insert.addBatch();
            }

            print("prepared-batch", Arrays.toString(insert.executeBatch()));
        }

        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*), min(id), max(id) FROM " + table)) {
            printRows("after", rows);
        }
    }

    private static void printRows(String kind, ResultSet rows) throws SQLException {
        ResultSetMetaData meta = rows.getMetaData();
        while (rows.next()) {
            List<String> fields = new ArrayList<>();
            fields.add(kind);
            for (int column = 1; column <= meta.getColumnCount(); column++) {
                fields.add(rows.getString(column));
            }

            print(fields.toArray(new String[0]));
        }
    }

    private static void print(String... fields) {
        StringBuilder line = new StringBuilder();
        for (String field : fields) {
            if (line.length() > 0) {
                line.append('|');
            }

            line.append(field == null ? "<null>" : field.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "\\n"));
        }

        System.out.println(line);
    }
}
