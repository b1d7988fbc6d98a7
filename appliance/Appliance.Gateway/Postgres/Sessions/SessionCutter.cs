using Appliance.Gateway.Access;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;
using Appliance.Wire;

namespace Appliance.Gateway.Postgres.Sessions;

/// <summary>
/// Ends live sessions when their grant ends: on every request change (local, or polled from
/// another gateway process), a grant that is no longer active has its sessions cut with a FATAL
/// that says why. A once-a-second sweep backs this up for a grant whose end was not seen, and
/// ends the sessions whose login token was revoked or expired since (on any gateway process:
/// the store is asked, so a revocation through another replica counts too).
/// </summary>
internal sealed partial class SessionCutter(
    RequestChanges changes, SessionRegistry registry, TokenStore tokens, RequestStore requests, Audit.SessionRecorder recorder, TimeProvider time,
    ILogger<SessionCutter> logger)
    : IHostedService, IDisposable
{
    private int _checkingStore;

    /// <summary>The expiry job should end the grant first; the sweep only catches what it missed.</summary>
    private static readonly TimeSpan SweepGrace = TimeSpan.FromSeconds(2);

    private ITimer? _sweep;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        changes.Changed += OnChanged;
        _sweep = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        changes.Changed -= OnChanged;
        _sweep?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _sweep?.Dispose();

    internal void OnChanged(AccessRequest request)
    {
        if (request.Kind != RequestKind.Access)
        {
            return;
        }

        var sessions = registry.ForGrant(request.Id);
        if (sessions.Count == 0)
        {
            return;
        }

        if (request.Status == RequestStatus.Active && request.ExpiresAt is { } expiresAt)
        {
            foreach (var session in sessions)
            {
                session.GrantExpiresAt = expiresAt;
            }

            return;
        }

        var message = Reason(request);
        Log.GrantEndedSessions(logger, request.Id, request.Status.ToString(), sessions.Count);
        foreach (var session in sessions)
        {
            // The record keeps what the client read (who ended it and why: probe AQ), not only "grant revoked".
            session.Cut(SqlStates.AdminShutdown, message, Recorded(message));
        }
    }

    private const string Terminating = "terminating connection: ";

    /// <summary>What the client reads: which grant, what ended it, when or by whom.</summary>
    internal static string Reason(AccessRequest grant) => grant.Status switch
    {
        RequestStatus.Expired => Expired(grant.Id, grant.ExpiresAt ?? grant.EndedAt ?? DateTimeOffset.MinValue),
        RequestStatus.Revoked => $"{Terminating}grant {grant.Id} was revoked" +
            (grant.EndedBy is { } by ? $" by {by}" : "") + (string.IsNullOrWhiteSpace(grant.EndReason) ? "" : $": {PeopleText.OneLine(grant.EndReason)}"),
        _ => $"{Terminating}grant {grant.Id} is {grant.Status.ToString().ToLowerInvariant()}",
    };

    private static string Expired(string grantId, DateTimeOffset at) => $"{Terminating}grant {grantId} expired at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC";

    /// <summary>The session's end reason in the audit log: the client's message without its preamble.</summary>
    private static string Recorded(string message) => message.StartsWith(Terminating, StringComparison.Ordinal) ? message[Terminating.Length..] : message;

    private void Sweep()
    {
        if (Interlocked.CompareExchange(ref _checkingStore, 1, 0) == 0)
        {
            _ = CheckStoreAsync();
        }

        var now = time.GetUtcNow();
        foreach (var session in registry.Sessions)
        {
            if (!session.IsStopping && session.GrantExpiresAt + SweepGrace < now)
            {
                var message = Expired(session.GrantId, session.GrantExpiresAt);
                session.Cut(SqlStates.AdminShutdown, message, Recorded(message));
            }
        }
    }

    /// <summary>
    /// What only the store knows: a token revoked or expired ends what was opened with it, as a
    /// grant's end does; and a grant that ended while a session was logging in with it (checked
    /// active, listed after the change was announced: probe AC) ends that session here.
    /// </summary>
    internal async Task CheckStoreAsync()
    {
        try
        {
            var live = registry.Sessions.Where(s => !s.IsStopping).ToList();
            var dead = await tokens.DeadAsync([.. live.Select(s => s.TokenId).Distinct(StringComparer.Ordinal)], CancellationToken.None);
            foreach (var session in live.Where(s => dead.Contains(s.TokenId)))
            {
                Log.TokenEndedSession(logger, session.Id, session.TokenId);
                var message = $"{Terminating}the token it logged in with ({session.TokenId}) was revoked or has expired";
                session.Cut(SqlStates.AdminShutdown, message, Recorded(message));
            }

            var ended = await requests.EndedAsync([.. live.Select(s => s.GrantId).Distinct(StringComparer.Ordinal)], CancellationToken.None);
            foreach (var grant in ended)
            {
                OnChanged(grant);
            }

            // Ended in the record by another gateway, which took this one for dead (paused, or cut
            // off from the store): the record says the session is over, so it is (probe PA3: it ran on
            // under an ended session, and its end was recorded twice).
            var endedElsewhere = (await recorder.EndedInStoreAsync([.. live.Select(s => s.Id)], CancellationToken.None)).ToHashSet(StringComparer.Ordinal);
            foreach (var session in live.Where(s => endedElsewhere.Contains(s.Id) && !s.IsStopping))
            {
                Log.SessionEndedElsewhere(logger, session.Id);
                session.Cut(SqlStates.AdminShutdown, $"{Terminating}{Audit.OrphanedSessions.LostReason}", Audit.OrphanedSessions.LostReason);
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            Log.StoreCheckFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref _checkingStore, 0);
        }
    }
}
