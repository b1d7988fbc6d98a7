using Appliance.Gateway.Configuration;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;
using Appliance.Policy.Access;
using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Access;

/// <summary>
/// After every policy load (at start, and on each reload), ends the open requests and grants the
/// new policy no longer allows. Several gateway processes may sweep at once: the versioned
/// updates let one of them end each request.
/// </summary>
internal sealed partial class PolicySweep(
    IPolicyProvider policy, AccessService access, PeopleDirectory people, ILogger<PolicySweep> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        policy.Changed += OnChanged;
        await SweepAsync(policy.Current, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        policy.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(AppliancePolicy current) => _ = Task.Run(async () =>
    {
        try
        {
            await SweepAsync(current, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.SweepFailed(logger, ex);
        }
    });

    internal async Task SweepAsync(AppliancePolicy current, CancellationToken cancellationToken)
    {
        var open = await access.ListAsync(
            new RequestFilter { Statuses = [RequestStatus.Pending, RequestStatus.Active], Limit = int.MaxValue }, cancellationToken);
        foreach (var request in open)
        {
            var reason = await WhyNotAllowedAsync(current, request, cancellationToken);
            if (reason is not null && await access.EndForPolicyAsync(request.Id, reason, cancellationToken) is { } ended)
            {
                Log.Ended(logger, ended.Id, ended.Requester, ended.Connection, reason);
            }
        }
    }

    private async Task<string?> WhyNotAllowedAsync(AppliancePolicy current, AccessRequest request, CancellationToken cancellationToken)
    {
        if (current.FindConnection(request.Connection) is not { } connection)
        {
            return $"the connection {request.Connection} was removed from the policy";
        }

        var person = await people.FindAsync(request.Requester, cancellationToken);
        if (person is null)
        {
            return $"{request.Requester} is no longer a user in the policy";
        }

        return AccessRules.CanRequest(person.Groups, connection)
            ? null
            : $"{request.Requester} may no longer request {connection.Name}";
    }

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Warning, "Ended {RequestId} of {Requester} on {Connection}: {Reason}")]
        public static partial void Ended(ILogger logger, string requestId, string requester, string connection, string reason);

        [LoggerMessage(2202, LogLevel.Error, "Sweeping open requests after a policy change failed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
