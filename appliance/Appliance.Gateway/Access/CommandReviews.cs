using System.Collections.Concurrent;
using Appliance.Gateway.Identity;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

/// <summary>What became of a statement held for review.</summary>
internal enum ReviewOutcome
{
    /// <summary>Approved in time: run it now (the approval is already spent).</summary>
    Approved,
    Denied,
    /// <summary>No decision within the hold: the client gets an error carrying the review id.</summary>
    StillPending,
}

internal sealed record ReviewResult(ReviewOutcome Outcome, AccessRequest Review);

/// <summary>
/// Holds a statement while approvers decide: opens a command review and waits, up to the
/// guardrail's hold, for its decision to arrive through <see cref="RequestChanges"/> (from the
/// API, chat, or another gateway process).
/// </summary>
internal sealed class CommandReviews
{
    private readonly AccessService _access;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AccessRequest>> _waiting = new();

    public CommandReviews(AccessService access, RequestChanges changes)
    {
        _access = access;
        changes.Changed += OnChanged;
    }

    /// <summary>
    /// Runs the statement at once if an earlier review of exactly it was approved (it passes once);
    /// otherwise opens a review and waits up to <paramref name="hold"/> for the decision.
    /// </summary>
    /// <param name="opened">Called once a new review exists, before the wait: the client can be told what it waits for.</param>
    public async Task<ReviewResult> HoldAsync(
        Person person, ConnectionPolicy connection, CommandReview command, TimeSpan hold, CancellationToken cancellationToken,
        Action<AccessRequest>? opened = null)
    {
        if (await _access.ConsumeApprovedCommandAsync(person, connection.Name, command.Fingerprint, command.GrantId, command.SessionId, cancellationToken) is { } earlier)
        {
            return new ReviewResult(ReviewOutcome.Approved, earlier);
        }

        var review = await _access.CreateCommandReviewAsync(person, connection, command, person.Email, cancellationToken);
        opened?.Invoke(review);
        var decided = new TaskCompletionSource<AccessRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[review.Id] = decided;
        try
        {
            // The decision may have landed between the insert and the registration above.
            if (await _access.GetAsync(review.Id, cancellationToken) is { Status: not RequestStatus.Pending } early)
            {
                decided.TrySetResult(early);
            }

            var winner = await Task.WhenAny(decided.Task, Task.Delay(hold, cancellationToken));
            if (winner != decided.Task)
            {
                return new ReviewResult(ReviewOutcome.StillPending, review);
            }

            var decision = await decided.Task;
            if (decision.Status == RequestStatus.Active
                && await _access.ConsumeApprovedCommandAsync(person, connection.Name, command.Fingerprint, command.GrantId, command.SessionId, cancellationToken) is { } consumed)
            {
                return new ReviewResult(ReviewOutcome.Approved, consumed);
            }

            return new ReviewResult(decision.Status == RequestStatus.Active ? ReviewOutcome.StillPending : ReviewOutcome.Denied, decision);
        }
        finally
        {
            _waiting.TryRemove(review.Id, out _);
        }
    }

    /// <summary>
    /// The held statement was abandoned (its client cancelled or left): the review is cancelled,
    /// as its requester would, or, when an approver approved it meanwhile, its approval is revoked,
    /// so a later run of the same text cannot spend it. False when it was already spent.
    /// </summary>
    /// <param name="why">What ended the hold (a cancel, a disconnect, the session's end): the review's end reason.</param>
    /// <param name="bySystem">
    /// The session ended under the hold (its grant expired or was revoked, its token revoked): the
    /// requester did nothing, so the review ends by the system, as the grant did (probe DD).
    /// </param>
    public async Task<bool> WithdrawAsync(Person requester, string reviewId, string why, bool bySystem = false)
    {
        if (bySystem)
        {
            return await _access.EndForPolicyAsync(reviewId, why, CancellationToken.None) is not null;
        }

        if ((await _access.CancelAsync(requester, reviewId, requester.Email, CancellationToken.None, why)).Allowed)
        {
            return true;
        }

        var revoked = await _access.RevokeAsync(
            requester, reviewId, $"{why}: the statement did not run", requester.Email, CancellationToken.None);
        return revoked.Allowed;
    }

    /// <summary>An approval this statement spent, though the statement then did not run: the review ends <c>abandoned</c>.</summary>
    public Task<bool> MarkNotRunAsync(Person requester, string reviewId) =>
        _access.MarkSpentApprovalNotRunAsync(requester, reviewId, CancellationToken.None);

    private void OnChanged(AccessRequest request)
    {
        if (request.Kind == RequestKind.Command && request.Status != RequestStatus.Pending
            && _waiting.TryGetValue(request.Id, out var waiter))
        {
            waiter.TrySetResult(request);
        }
    }
}
