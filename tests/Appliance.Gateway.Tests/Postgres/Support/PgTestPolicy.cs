using static Appliance.Tests.Common.Gateway.TestPolicies;

namespace Appliance.Gateway.Tests.Postgres.Support;

/// <summary>The policies the PostgreSQL gateway tests run with: one upstream database, several connections to it.</summary>
internal static class PgTestPolicy
{
    /// <summary>Guardrails and masking as in product.md, plus an alert; the connections differ in what they enforce.</summary>
    /// <param name="hold">How long the review guardrail holds a statement.</param>
    /// <param name="demoUpstreamTls">The demo connection's upstream TLS mode: a TLS upstream leg keeps a session off the event loops.</param>
    public static string Build(PgUpstream upstream, TimeSpan hold, bool allowLoopbackPlaintext = true, (string Certificate, string Key)? tls = null, string demoUpstreamTls = "prefer") => $$"""
        users:
          - email: {{Alice}}
            groups: [engineering]
          - email: {{Bob}}
            groups: [dba]
          - email: {{Dave}}
            groups: [engineering]
          - email: {{Auditor}}
            groups: [security]
            roles: [auditor]

        gateway:
          allowLoopbackPlaintext: {{(allowLoopbackPlaintext ? "true" : "false")}}
        {{(tls is { } files ? $"  tls: {{ certificate: \"{files.Certificate}\", key: \"{files.Key}\" }}" : "")}}

        connections:
          - name: demo
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: {{demoUpstreamTls}} }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
            guardrails: [destructive-ddl, unbounded-write, no-sleep, watch-secrets]
            masking: [pii]
          - name: plain
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: disable }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: detect
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: require }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
            masking: [detect-only]
          - name: strict
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}" }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
            guardrails: [destructive-ddl]
            audit: strict
          - name: md5
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: md5_user, password: "{{upstream.SuperuserPassword}}", tls: disable }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: super
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: postgres, password: "{{upstream.SuperuserPassword}}", tls: disable }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: superok
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: postgres, password: "{{upstream.SuperuserPassword}}", tls: disable, allowSuperuser: true }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: cleartext
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: clear_user, password: "{{upstream.SuperuserPassword}}", tls: disable }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: verified
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "{{upstream.Password}}", tls: verify-full }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: wrongpass
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}, password: "not-the-password-7f3a", tls: prefer }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }
          - name: nologin
            upstream: { host: {{upstream.Host}}, port: {{upstream.Port}}, database: {{upstream.Database}}, user: {{upstream.User}}_nl, password: "{{upstream.Password}}", tls: prefer }
            access: { requesters: [engineering], approvers: [dba], reason: optional, maxDuration: 4h }

        guardrails:
          - name: destructive-ddl
            match: { statements: [DROP, TRUNCATE] }
            action: block
            message: Destructive DDL is not allowed through the gateway.
          - name: unbounded-write
            match: { statements: [DELETE, UPDATE], missing: WHERE }
            action: review
            hold: {{(int)hold.TotalSeconds}}s
          - name: no-sleep
            match: { regex: 'pg_sleep\(\s*[1-9][0-9]' }
            action: block
            message: Long sleeps tie up the database.
          - name: watch-secrets
            match: { regex: 'secret_plans' }
            action: alert
            message: Someone looked at the secret plans.

        masking:
          - name: pii
            detectors: [credit_card, us_ssn, email]
            columns: [ssn]
          - name: detect-only
            detectors: [credit_card]
        """;
}

/// <summary>Where the tests' upstream database lives and how the gateway logs in to it.</summary>
internal sealed record PgUpstream(string Host, int Port, string Database, string User, string Password, string SuperuserPassword);
