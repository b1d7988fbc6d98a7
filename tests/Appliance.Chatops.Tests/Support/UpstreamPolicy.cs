using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Chatops.Tests.Support;

/// <summary>
/// A policy whose <c>demo</c> connection reaches a real <see cref="UpstreamDatabase"/>, with
/// masking on. No <c>gateway:</c> section: the listener takes passwords over TLS only (its
/// generated certificate), so the DM'd credential says <c>sslmode=require</c>.
/// </summary>
internal static class UpstreamPolicy
{
    public static string For(UpstreamDatabase upstream) => $$"""
        users:
          - email: {{Alice}}
            groups: [engineering]
          - email: {{Bob}}
            groups: [dba]

        connections:
          - name: demo
            type: postgres
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: prefer }
            access:
              requesters: [engineering]
              approvers: [dba]
              minApprovals: 1
              maxDuration: 4h
              reason: required
              channel: db-access
            guardrails: [unbounded-write]
            masking: [pii]

        guardrails:
          - name: unbounded-write
            match: { statements: [DELETE, UPDATE], missing: WHERE }
            action: review
            hold: 20s
            message: A write without WHERE needs a review.

        masking:
          - name: pii
            detectors: [credit_card, us_ssn]
            columns: [ssn]
        """;
}
