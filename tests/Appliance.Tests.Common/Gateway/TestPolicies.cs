namespace Appliance.Tests.Common.Gateway;

/// <summary>Policies the gateway tests start with (product.md §3 format).</summary>
public static class TestPolicies
{
    public const string Alice = "alice@example.com";
    public const string Bob = "bob@example.com";
    public const string Carol = "carol@example.com";
    public const string Dave = "dave@example.com";
    public const string Olive = "olive@example.com";
    public const string Admin = "root@example.com";
    public const string Auditor = "audrey@example.com";

    /// <summary>
    /// alice asks; bob, carol (dba) approve, carol is also in sre (a second approver group of
    /// <c>prod2</c>, to prove a person counts once); olive is on call (auto-approve).
    /// </summary>
    public static string Default { get; } = Build();

    public static string Build(string upstreamHost = "127.0.0.1", int upstreamPort = 5432, string webhooks = "", string extraConnections = "") => $$"""
        users:
          - email: {{Alice}}
            groups: [engineering]
          - email: {{Bob}}
            groups: [dba]
          - email: {{Carol}}
            groups: [dba, sre]
          - email: {{Dave}}
            groups: [engineering]
          - email: {{Olive}}
            groups: [engineering, oncall]
          - email: {{Admin}}
            groups: [platform]
            roles: [admin]
          - email: {{Auditor}}
            groups: [security]
            roles: [auditor]

        connections:
          - name: demo
            type: postgres
            upstream: { host: {{upstreamHost}}, port: {{upstreamPort}}, database: demo, user: demo_reader, password: secret, tls: prefer }
            access:
              requesters: [engineering]
              approvers: [dba]
              minApprovals: 1
              defaultDuration: 1h
              maxDuration: 4h
              reason: required
              autoApprove: [oncall]
              channel: db-access
          - name: prod2
            type: postgres
            upstream: { host: {{upstreamHost}}, port: {{upstreamPort}}, database: prod, user: demo_reader, password: secret }
            access:
              requesters: [engineering]
              approvers: [dba, sre]
              minApprovals: 2
              defaultDuration: 30m
              maxDuration: 2h
              reason: optional
              channel: prod-access
        {{extraConnections}}
        {{webhooks}}
        """;
}
