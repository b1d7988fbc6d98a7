using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Appliance.Gateway.Store;

/// <summary>
/// Opens connections to the store: PostgreSQL when <c>APPLIANCE_STORE</c> is set, otherwise an
/// embedded SQLite file. Everything above this class writes one SQL for both.
/// </summary>
internal sealed class StoreDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqliteConnectionString;

    private StoreDatabase(NpgsqlDataSource? postgres, string? sqlite, string description)
    {
        _postgres = postgres;
        _sqliteConnectionString = sqlite;
        Dialect = postgres is null ? StoreDialect.Sqlite : StoreDialect.Postgres;
        Description = description;
    }

    public StoreDialect Dialect { get; }

    /// <summary>Where the store lives, without credentials (for logs).</summary>
    public string Description { get; }

    /// <summary>
    /// <c>column</c> is one of the values of <c>@parameter</c> (pass an array). Dapper expands
    /// <c>IN @list</c> into one parameter per value on SQLite, but hands Npgsql, which takes arrays,
    /// the array whole, and <c>IN $1</c> is a syntax error there (probe PA1: revoked tokens never
    /// cut their sessions on a PostgreSQL store).
    /// </summary>
    public string IsAnyOf(string column, string parameter) =>
        Dialect == StoreDialect.Postgres ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";

    public static StoreDatabase ForPostgres(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "appliance-gateway";
        }

        return new StoreDatabase(
            NpgsqlDataSource.Create(builder.ConnectionString),
            null,
            $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}");
    }

    /// <summary>The embedded store's file in the data directory.</summary>
    public static string SqlitePath(string dataDir) => Path.GetFullPath(Path.Combine(dataDir, "appliance.db"));

    public static StoreDatabase ForSqlite(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                // The audit log, tokens' hashes and the listener's key live here: the gateway's user only.
                File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (UnauthorizedAccessException)
            {
                // A directory someone else owns (a mounted volume): its owner chose its mode.
            }
        }

        var path = SqlitePath(dataDir);
        if (!OperatingSystem.IsWindows())
        {
            // Its own files too: a copy of the directory (a backup) keeps their modes, and a file
            // made before (by hand, by an older build) may be world-readable (probe DG). Made here
            // first, empty (an empty file is an empty database), SQLite gives its journal files
            // the same mode.
            const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                try
                {
                    if (File.Exists(file))
                    {
                        File.SetUnixFileMode(file, owner);
                    }
                    else if (file == path)
                    {
                        new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner }).Dispose();
                    }
                }
                catch (IOException) when (File.Exists(file))
                {
                    // Made meanwhile by another process: it is there either way.
                }
                catch (UnauthorizedAccessException)
                {
                    // Someone else's file: its owner chose its mode.
                }
            }
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        return new StoreDatabase(null, builder.ConnectionString, $"sqlite:{path}");
    }

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // WAL lets readers proceed while the single writer commits; NORMAL sync is durable in WAL
        // mode except for the last transactions on power loss, which is the embedded mode's trade.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction. SQLite's transactions start with
    /// BEGIN IMMEDIATE (the default of Microsoft.Data.Sqlite), so writers serialize up front
    /// instead of failing on upgrade.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(
        Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// A read transaction that sees one snapshot of the store while writers go on: PostgreSQL's
    /// REPEATABLE READ; on SQLite a deferred BEGIN (in WAL mode its first read fixes the snapshot,
    /// and it takes no write lock, so the audit writer is not held up).
    /// </summary>
    public async ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

    /// <summary>One real write, committed: an UPDATE that leaves the newest migration's row as it was.</summary>
    public Task CheckWritableAsync(CancellationToken cancellationToken) =>
        InTransactionAsync(async (c, t) =>
        {
            await using var command = c.CreateCommand();
            command.Transaction = t;
            command.CommandText = "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }, cancellationToken);

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }
    }
}
