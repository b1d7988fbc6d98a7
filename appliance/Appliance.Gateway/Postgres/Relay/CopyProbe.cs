using Appliance.Policy.Masking;
using Appliance.Policy.Sql;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// A COPY … TO STDOUT on a connection with column rules, described before it runs: the client
/// thread fills in the statement, the upstream thread what the upstream answered to the probe.
/// </summary>
internal sealed class CopyProbe(CopyToStdout copy, Masker masker)
{
    /// <summary>Reserved for the gateway; the probe closes it again before its Sync.</summary>
    public const string StatementName = "__appliance_copy_probe";

    public CopyToStdout Copy { get; } = copy;

    /// <summary>The masker the plan was made with: after a policy reload the plan no longer holds.</summary>
    public Masker Masker { get; } = masker;

    /// <summary>The probe query in UTF-8: the statement text of the plan, and what errors about it may quote.</summary>
    public byte[] QueryText { get; } = System.Text.Encoding.UTF8.GetBytes(copy.ProbeQuery);

    /// <summary>Set from the probe's RowDescription; null when it had none (an error, NoData).</summary>
    public ResultMaskPlan? Plan { get; set; }

    /// <summary>The probe's ErrorResponse as the client may see it, shown in place of the COPY's "transaction is aborted".</summary>
    public byte[]? Error { get; set; }
}
