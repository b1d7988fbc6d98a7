using System.Diagnostics;
using Npgsql;

namespace ApprovalLatency;

/// <summary>
/// A person's PostgreSQL login through the gateway's listener with their personal token: the
/// gateway lets it in only while they hold an active grant for the connection, so the first
/// login that succeeds is the moment the gateway honours a new grant.
/// </summary>
internal sealed class LoginProbe(int port, string user, string token)
{
    /// <summary>The SQLSTATE of "a good password, but no active grant".</summary>
    private const string NoGrant = "28000";

    /// <summary>Between two refused logins: short next to the latency measured, long enough not to starve the approval of CPU.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(2);

    private readonly string _connectionString = new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = user,
        Password = token,
        Database = "demo",
        SslMode = SslMode.Disable,
        Pooling = false,
        Timeout = 5,
        // Npgsql's default (Prefer) logs in a second time, without GSS, after a refused login: one try, one login.
        GssEncryptionMode = GssEncryptionMode.Disable,
    }.ConnectionString;

    /// <summary>True when the gateway let the session in; false when it refused it for want of a grant.</summary>
    public async Task<bool> TryLoginAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync();
            return true;
        }
        catch (PostgresException e) when (e.SqlState == NoGrant)
        {
            return false;
        }
    }

    /// <summary>Logs in until a login succeeds; returns when (<see cref="Stopwatch"/> timestamps) that login started and ended, and how many were refused first.</summary>
    public async Task<(long StartedAt, long EndedAt, int Refused)> WaitUntilLetInAsync(TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        for (var refused = 0; ; refused++)
        {
            var attempt = Stopwatch.GetTimestamp();
            if (await TryLoginAsync())
            {
                return (attempt, Stopwatch.GetTimestamp(), refused);
            }

            if (Stopwatch.GetElapsedTime(start) > timeout)
            {
                throw new TimeoutException($"the gateway refused {refused + 1} logins in {timeout.TotalSeconds} s");
            }

            await Task.Delay(Pause);
        }
    }
}
