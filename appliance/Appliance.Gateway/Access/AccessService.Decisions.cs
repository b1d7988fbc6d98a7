using Appliance.Gateway.Events;
using Appliance.Gateway.Identity;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

internal sealed partial class AccessService
{
    public Task<AccessDecision<AccessRequest>> ApproveAsync(
        Person person, string id, string? comment, string actor, CancellationToken cancellationToken) =>
        MutateAsync(id, (r, now) =>
        {
            if (MayDecide(person, r, out var refusal) is false)
            {
                return refusal!;
            }

            // Approvers still see and deny requests for a connection taken out of the policy (the
            // request's snapshot names them), but nothing may become a grant for it.
            if (policy.Current.FindConnection(r.Connection) is not { } connection)
            {
                return Mutation.Refused(AccessRule.UnknownConnection, $"The connection {r.Connection} is no longer configured: there is nothing to approve.");
            }

            // A policy tightened since the request was made applies to it too; one loosened does not
            // lower what it was made with (probe GC2: raised from 1 to 2, one approval still activated it).
            var required = Math.Max(r.MinApprovals, connection.Access.MinApprovals);

            var approval = new Approval(person.Email, now, MaskedFreeText(r, Trim(comment)));
            if (r.Status == RequestStatus.Pending)
            {
                if (now >= r.PendingUntil)
                {
                    return Mutation.Refused(AccessRule.InvalidState, $"Request {r.Id} waited too long for a decision and has expired.");
                }

                if (r.Approvals.Any(a => SameEmail(a.By, person.Email)))
                {
                    return Mutation.Refused(AccessRule.AlreadyApproved, $"{person.Email} has already approved request {r.Id}.");
                }

                var approvals = r.Approvals.Append(approval).ToList();
                if (!AccessRules.HasEnoughApprovals(approvals.Select(a => a.By), required))
                {
                    // The count that applies is kept with the request, so its API view, its event,
                    // the card and the replies say "1 of 2", not "1 of 1" while it waits (probe HB1).
                    return new Mutation(r with { Approvals = approvals, MinApprovals = required }, [EventTypes.RequestApprovalAdded], actor, NewApproval: approval);
                }

                var active = r with
                {
                    Approvals = approvals,
                    Status = RequestStatus.Active,
                    ActivatedAt = now,
                    // The clock starts at approval, not at request.
                    ExpiresAt = now + r.Duration,
                };
                return new Mutation(active, [EventTypes.RequestApproved], actor, NewApproval: approval);
            }

            if (r.Status == RequestStatus.Active && r.Extension is { } extension)
            {
                if (extension.Approvals.Any(a => SameEmail(a.By, person.Email)))
                {
                    return Mutation.Refused(AccessRule.AlreadyApproved, $"{person.Email} has already approved the extension of {r.Id}.");
                }

                var approvals = extension.Approvals.Append(approval).ToList();
                if (!AccessRules.HasEnoughApprovals(approvals.Select(a => a.By), required))
                {
                    return new Mutation(r with { Extension = extension with { Approvals = approvals }, MinApprovals = required },
                        [EventTypes.RequestApprovalAdded], actor, NewApproval: approval, ApprovalRound: extension.Round);
                }

                var extended = Extend(r, extension.Duration, now) with { Extension = null };
                return new Mutation(extended, [EventTypes.GrantExtended], actor, NewApproval: approval, ApprovalRound: extension.Round,
                    Reason: $"extended by {Duration.Format(extension.Duration)}, as {extension.RequestedBy} asked");
            }

            return Mutation.Refused(AccessRule.InvalidState, $"Request {r.Id} is {Lower(r.Status)}: there is nothing to approve.");
        }, cancellationToken, viewer: person);

    public Task<AccessDecision<AccessRequest>> DenyAsync(
        Person person, string id, string? reason, string actor, CancellationToken cancellationToken) =>
        MutateAsync(id, (r, now) =>
        {
            if (MayDecide(person, r, out var refusal) is false)
            {
                return refusal!;
            }

            if (r.Status == RequestStatus.Pending)
            {
                var denied = r with
                {
                    Status = RequestStatus.Denied,
                    DeniedBy = person.Email,
                    DenyReason = MaskedFreeText(r, Trim(reason)),
                    EndedAt = now,
                };
                return new Mutation(denied, [EventTypes.RequestDenied], actor);
            }

            if (r.Status == RequestStatus.Active && r.Extension is not null)
            {
                // Denying an extension leaves the grant as it was; the reason travels in its event (probe BA).
                return new Mutation(r with { Extension = null }, [EventTypes.GrantExtensionDenied], actor, Reason: MaskedFreeText(r, Trim(reason)));
            }

            return Mutation.Refused(AccessRule.InvalidState, $"Request {r.Id} is {Lower(r.Status)}: there is nothing to deny.");
        }, cancellationToken, viewer: person);

    /// <param name="reason">Why, when the gateway withdraws a held statement's review for its requester (the client cancelled or left).</param>
    public Task<AccessDecision<AccessRequest>> CancelAsync(Person person, string id, string actor, CancellationToken cancellationToken, string? reason = null) =>
        MutateAsync(id, (r, now) =>
        {
            if (!SameEmail(r.Requester, person.Email))
            {
                return Mutation.Refused(AccessRule.Forbidden, $"Only {r.Requester} can cancel request {r.Id}.");
            }

            if (r.Status != RequestStatus.Pending)
            {
                return Mutation.Refused(AccessRule.InvalidState,
                    $"Request {r.Id} is {Lower(r.Status)}: only a pending request can be cancelled{(r.Status == RequestStatus.Active ? " (end a grant with revoke)" : "")}.");
            }

            return new Mutation(
                r with { Status = RequestStatus.Cancelled, EndedAt = now, EndedBy = person.Email, EndReason = Trim(reason) }, [EventTypes.RequestCancelled], actor);
        }, cancellationToken, viewer: person);

    public Task<AccessDecision<AccessRequest>> RevokeAsync(
        Person person, string id, string? reason, string actor, CancellationToken cancellationToken) =>
        MutateAsync(id, (r, now) =>
        {
            var isRequester = SameEmail(r.Requester, person.Email);
            if (!isRequester && !person.IsAdmin && !IsApproverOf(person, r))
            {
                return Mutation.Refused(AccessRule.Forbidden,
                    $"Only the requester, an approver of {r.Connection} or an admin can revoke grant {r.Id}.");
            }

            if (r.Status != RequestStatus.Active)
            {
                return Mutation.Refused(AccessRule.InvalidState, $"Request {r.Id} is {Lower(r.Status)}: only an active grant can be revoked.");
            }

            var revoked = r with
            {
                Status = RequestStatus.Revoked,
                EndedAt = now,
                EndedBy = person.Email,
                EndReason = Trim(reason) ?? (isRequester ? "done" : "revoked"),
                Extension = null,
            };
            return new Mutation(revoked, [EventTypes.GrantRevoked], actor);
        }, cancellationToken, viewer: person);

    public Task<AccessDecision<AccessRequest>> ExtendAsync(
        Person person, string id, string? duration, string? reason, string actor, CancellationToken cancellationToken) =>
        MutateAsync(id, (r, now) =>
        {
            if (r.Kind != RequestKind.Access || r.Status != RequestStatus.Active || r.ExpiresAt is not { } expiresAt)
            {
                return Mutation.Refused(AccessRule.InvalidState, $"Request {r.Id} is {Lower(r.Status)}: only an active grant can be extended.");
            }

            if (policy.Current.FindConnection(r.Connection) is not { } connection)
            {
                return Mutation.Refused(AccessRule.UnknownConnection, $"The connection {r.Connection} is no longer configured.");
            }

            if (string.IsNullOrWhiteSpace(duration))
            {
                return Mutation.Refused(AccessRule.BadDuration, "Say by how long to extend, like 30m or 1h.");
            }

            var resolved = AccessRules.ResolveDuration(duration, connection);
            if (!resolved.Allowed)
            {
                return Mutation.Refused(resolved.Rule, resolved.Message!);
            }

            // The cap applies to what remains after the extension, counted from now.
            var remaining = expiresAt + resolved.Value - now;
            if (remaining > connection.Access.MaxDuration)
            {
                return Mutation.Refused(AccessRule.MaxDuration,
                    $"Extended by {Duration.Format(resolved.Value)}, grant {r.Id} would last {Duration.Format(remaining)} from now, " +
                    $"more than the maximum of {Duration.Format(connection.Access.MaxDuration)} for {r.Connection}.");
            }

            var isRequester = SameEmail(r.Requester, person.Email);
            // An admin extends others' grants at once, never her own: that would approve her own
            // request, which nobody may (probe ED1: one approval kept alive for ever, max duration
            // counted from now each time).
            var immediate = isRequester
                ? AccessRules.IsAutoApproved(person.Groups, connection)
                : person.IsAdmin || AccessRules.IsApprover(person.Groups, connection);
            if (immediate)
            {
                // Which extension this is, and what became of one pending (probe DD: read as its approval).
                // The extender's own words too (probe DL: an approver's reason was dropped).
                return new Mutation(Extend(r, resolved.Value, now) with { Extension = null }, [EventTypes.GrantExtended], actor,
                    Reason: $"extended by {Duration.Format(resolved.Value)}"
                        + (string.IsNullOrWhiteSpace(reason) ? "" : $" ({Postgres.PeopleText.OneLine(reason)})")
                        + (PendingExtensionEnds(r, "is replaced by it") is { } replaced ? "; " + replaced : ""));
            }

            if (!isRequester)
            {
                return Mutation.Refused(AccessRule.Forbidden,
                    $"Only the requester, an approver of {r.Connection} or an admin can extend grant {r.Id}.");
            }

            if (r.Extension is not null)
            {
                return Mutation.Refused(AccessRule.InvalidState, $"An extension of {r.Id} is already waiting for approval.");
            }

            // The grant's version when the extension is asked for names its approval round: unique, never 0.
            var round = (int)r.Version;
            var extension = new PendingExtension(resolved.Value, person.Email, now, Trim(reason), round, []);
            return new Mutation(r with { Extension = extension }, [EventTypes.GrantExtensionRequested], actor);
        }, cancellationToken, viewer: person);

    private static AccessRequest Extend(AccessRequest r, TimeSpan by, DateTimeOffset now) => r with
    {
        ExpiresAt = (r.ExpiresAt ?? now) + by,
        Duration = r.Duration + by,
    };

    /// <summary>Approving and denying: an approver of the connection, never the requester.</summary>
    private bool MayDecide(Person person, AccessRequest r, out Mutation? refusal)
    {
        refusal = null;
        if (SameEmail(r.Requester, person.Email))
        {
            refusal = Mutation.Refused(AccessRule.SelfApproval, $"{person.Email} requested {r.Id} and cannot decide on it: another approver must.");
            return false;
        }

        if (!IsApproverOf(person, r))
        {
            refusal = Mutation.Refused(AccessRule.NotApprover,
                $"{person.Email} is not an approver of {r.Connection} (approver groups: {string.Join(", ", ApproverGroupsOf(r))}).");
            return false;
        }

        return true;
    }

    /// <summary>The current policy decides who approves; the request's snapshot only if the connection is gone.</summary>
    private bool IsApproverOf(Person person, AccessRequest r) => ApproverGroupsOf(r).Any(person.Groups.Contains);

    private IReadOnlyList<string> ApproverGroupsOf(AccessRequest r) =>
        policy.Current.FindConnection(r.Connection)?.Access.Approvers ?? r.ApproverGroups;

    private static bool SameEmail(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>A person's free text (a comment, a reason) as kept: trimmed, with a pasted credential cut to its prefix (probe CU2).</summary>
    private static string? Trim(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : Appliance.Logging.GatewayCredentials.Cut(text.Trim());

    private static string Lower(RequestStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>
    /// A command review's deny reason and approval comments reach the client, its statement
    /// record, the API and the chat: what an approver quotes from the statement (a card number,
    /// an SSN) is masked as the statement is.
    /// </summary>
    private string? MaskedFreeText(AccessRequest r, string? reason) =>
        reason is not null && r.Kind == RequestKind.Command && policy.Current.FindConnection(r.Connection) is { } connection
            ? Postgres.Policy.ConnectionRuntime.For(connection).Masker.Mask(reason)
            : reason;
}
