using Appliance.Gateway.Hosting;
using Appliance.Gateway.Identity;

namespace Appliance.Gateway.Audit;

internal static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit/verify", async (HttpContext context, AuditVerifier verifier) =>
        {
            if (!context.GetCaller().Person.CanAudit)
            {
                return Problems.Result(403, "auditor-required", "Auditor required", "Only admins and auditors can verify the audit log.");
            }

            var result = await verifier.VerifyAsync(context.RequestAborted);
            return TypedResults.Ok(result);
        });
        return api;
    }
}
