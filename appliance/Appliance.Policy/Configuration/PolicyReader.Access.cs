using YamlDotNet.RepresentationModel;

namespace Appliance.Policy.Configuration;

/// <summary>A connection's <c>access:</c>: who may ask, who approves, how long (product.md §5).</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] AccessKeys =
        ["requesters", "approvers", "minApprovals", "defaultDuration", "maxDuration", "reason", "autoApprove", "channel", "pendingTimeout"];

    private static readonly AccessPolicy AccessDefaults = new();

    private AccessPolicy ReadAccess(ConfigMap access, GroupCatalog groups)
    {
        var requesters = KnownGroups(access, "requesters", groups);
        var approvers = KnownGroups(access, "approvers", groups);
        var autoApprove = KnownGroups(access, "autoApprove", groups);
        var minApprovals = access.Int("minApprovals", 1, 100);
        var defaultDuration = access.Duration("defaultDuration");
        var maxDuration = access.Duration("maxDuration");
        var reason = access.Option("reason", ConfigWords.Reason);
        var channel = access.Text("channel");
        var pendingTimeout = access.Duration("pendingTimeout");

        if (!access.Has("requesters") && !access.Has("autoApprove"))
        {
            access.ReportMissing("requesters");
        }

        var effectiveDefault = defaultDuration ?? AccessDefaults.DefaultDuration;
        var effectiveMax = maxDuration ?? AccessDefaults.MaxDuration;
        var durationsRead = (defaultDuration is not null || !access.Has("defaultDuration"))
            && (maxDuration is not null || !access.Has("maxDuration"));
        if (durationsRead && effectiveDefault > effectiveMax)
        {
            access.Report(defaultDuration is null ? "maxDuration" : "defaultDuration", ConfigErrorKind.InvalidValue,
                $"defaultDuration {Duration.Format(effectiveDefault)} is longer than maxDuration {Duration.Format(effectiveMax)}");
        }

        if (requesters is not null && approvers is not null && autoApprove is not null)
        {
            CheckApprovers(access, approvers, minApprovals ?? AccessDefaults.MinApprovals, groups);
        }

        return new AccessPolicy
        {
            Requesters = requesters ?? [],
            Approvers = approvers ?? [],
            MinApprovals = minApprovals ?? AccessDefaults.MinApprovals,
            DefaultDuration = effectiveDefault,
            MaxDuration = effectiveMax,
            Reason = reason ?? AccessDefaults.Reason,
            AutoApprove = autoApprove ?? [],
            Channel = string.IsNullOrWhiteSpace(channel) ? null : channel.Trim(),
            PendingTimeout = pendingTimeout,
        };
    }

    /// <summary>
    /// Approval needs <c>minApprovals</c> distinct people from the approver groups: more than the
    /// file can supply is a request that can never be approved. Groups filled by the identity
    /// provider cannot be counted, so then nothing is said.
    /// </summary>
    private void CheckApprovers(ConfigMap access, List<string> approvers, int minApprovals, GroupCatalog groups)
    {
        if (groups.MembersOf(approvers) is not { } people || people.Count >= minApprovals)
        {
            return;
        }

        var at = access.Has("minApprovals") ? "minApprovals" : "approvers";
        var message = approvers.Count == 0
            ? $"no approvers: minApprovals is {minApprovals}, so list the groups whose members may approve"
            : $"minApprovals is {minApprovals} but the approver groups ({string.Join(", ", approvers)}) have "
              + (people.Count == 0 ? "no users in this file" : $"only {people.Count} user{(people.Count == 1 ? "" : "s")} in this file ({string.Join(", ", people)})");
        reader.Report(access[at] ?? access.Node, access.PathOf(at), ConfigErrorKind.NotEnoughApprovers, message);
    }

    /// <summary>The groups in the list, or <c>null</c> when it is not a list or a group is unknown (reported).</summary>
    private List<string>? KnownGroups(ConfigMap access, string key, GroupCatalog groups)
    {
        var names = GroupNames(access, key);
        var allKnown = !access.Has(key) || access[key] is YamlSequenceNode;
        foreach (var name in names.Where(n => !groups.IsKnown(n.Value)))
        {
            reader.Report(name.Node, name.Path, ConfigErrorKind.UnknownGroup, $"unknown group '{name.Shown}' ({groups.Known})");
            allKnown = false;
        }

        return allKnown ? [.. names.Select(n => n.Value)] : null;
    }
}
