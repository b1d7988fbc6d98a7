using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Appliance.Gateway.Store;

/// <summary>Work a migration needs that SQL cannot do (writing to the audit chain): run in the migration's own transaction.</summary>
internal interface IMigrationStep
{
    /// <summary>The migration it belongs to.</summary>
    int Version { get; }

    /// <param name="createdNow">The store had no migration before this start: nothing of an earlier version is in it.</param>
    Task RunAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, bool createdNow);
}

/// <summary>
/// Applies the numbered scripts under <c>Store/Migrations</c> that the store has not seen, each in
/// its own transaction, in order. On PostgreSQL an advisory lock makes concurrent gateway starts
/// take turns, so two replicas never apply the same migration.
/// </summary>
internal sealed partial class MigrationRunner(StoreDatabase database, ILogger<MigrationRunner> logger, IEnumerable<IMigrationStep> steps)
{
    // An arbitrary constant shared by every gateway process ("APPL" in ASCII).
    private const long MigrationLockKey = 0x4150504C;

    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();


    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Dialect == StoreDialect.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey });
        }

        try
        {
            await connection.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).ToHashSet();
            // No migration before this start's: the store is new, with nothing of an earlier version in it.
            var createdNow = applied.Count == 0;
            var count = 0;
            foreach (var (version, name, sql) in Scripts)
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(sql, transaction: transaction);
                foreach (var step in steps.Where(s => s.Version == version))
                {
                    // With the migration or not at all: a gateway killed between the two left a store
                    // that never ran the step (probe EL3).
                    await step.RunAsync(connection, transaction, createdNow);
                }
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                    new { version = (long)version, name, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    transaction);
                await transaction.CommitAsync(cancellationToken);
                Log.MigrationApplied(logger, version, name, database.Description);
                count++;
            }

            return count;
        }
        finally
        {
            if (database.Dialect == StoreDialect.Postgres)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = MigrationLockKey });
            }
        }
    }

    private static List<(int, string, string)> LoadScripts()
    {
        var assembly = Assembly.GetExecutingAssembly();
        const string Prefix = "Appliance.Gateway.Store.Migrations.";
        var scripts = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var file = resource[Prefix.Length..];
            var version = int.Parse(file.AsSpan(0, 4), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, Path.GetFileNameWithoutExtension(file), reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return scripts;
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Applied store migration {Version} {Name} to {Store}")]
        public static partial void MigrationApplied(ILogger logger, int version, string name, string store);
    }
}
