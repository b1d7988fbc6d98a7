using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;

namespace Appliance.Gateway.Audit;

internal static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit/verify", async (HttpContext context, AuditVerifier verifier, long? seq, string? hash) =>
        {
            if (!context.GetCaller().Person.CanAudit)
            {
                return Problems.Result(403, "auditor-required", "Auditor required", "Only admins and auditors can verify the audit log.");
            }

            // An anchor is both halves of what an earlier answer gave (events and head), or neither.
            if ((seq is null) != (hash is null) || (hash is not null && !IsSha256Hex(hash)))
            {
                return Problems.Result(400, "bad-request", "Bad anchor",
                    "Give seq= and hash= together: an earlier answer's events and head (64 hex digits), or leave both out.");
            }

            if (seq < 1)
            {
                return Problems.Result(400, "bad-request", "Bad anchor", "seq= is an event's number: 1 or more.");
            }

            var anchor = seq is { } s ? new AuditAnchor(s, hash!) : null;
            var result = await verifier.VerifyAsync(context.RequestAborted, anchor);
            return TypedResults.Ok(result);
        });
        return api;
    }

    private static bool IsSha256Hex(string hash) => hash.Length == 64 && hash.All(char.IsAsciiHexDigit);
}
