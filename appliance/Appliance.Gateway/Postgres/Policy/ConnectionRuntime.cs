using System.Runtime.CompilerServices;
using Appliance.Policy.Configuration;
using Appliance.Policy.Guardrails;
using Appliance.Policy.Masking;
using Appliance.Policy.Sql;

namespace Appliance.Gateway.Postgres.Policy;

/// <summary>
/// What a connection's policy compiles to: its guardrail engine and its masker, built once per
/// policy version and shared by every session of the connection (both are thread-safe).
/// </summary>
internal sealed class ConnectionRuntime
{
    private static readonly ConditionalWeakTable<ConnectionPolicy, ConnectionRuntime> Compiled = [];

    private readonly SqlTextCache<string> _maskedSql = new(capacity: 4096, maxKeyLength: 8192);

    private ConnectionRuntime(ConnectionPolicy connection)
    {
        Connection = connection;
        Guardrails = GuardrailEngine.Compile(connection.Guardrails);
        Masker = Masker.Compile(connection.Masking);
        HasGuardrails = connection.Guardrails.Count > 0;
    }

    public ConnectionPolicy Connection { get; }

    public GuardrailEngine Guardrails { get; }

    public Masker Masker { get; }

    public bool HasGuardrails { get; }

    /// <summary>Results must be looked at (some masking is configured).</summary>
    public bool Masks => !Masker.IsEmpty;

    /// <summary>The runtime of this policy object (a reload brings new objects, hence new runtimes).</summary>
    public static ConnectionRuntime For(ConnectionPolicy connection) => Compiled.GetValue(connection, c => new ConnectionRuntime(c));

    /// <summary>
    /// The SQL text as the audit log may hold it (literals can carry card numbers). Repeated texts
    /// (prepared statements, ORMs) come from a cache, so recording costs no rescan.
    /// </summary>
    public string MaskSql(ReadOnlySpan<byte> utf8Sql)
    {
        if (_maskedSql.TryGet(utf8Sql, out var cached))
        {
            return cached;
        }

        var masked = Masker.Mask(System.Text.Encoding.UTF8.GetString(utf8Sql));
        _maskedSql.Add(utf8Sql, masked);
        return masked;
    }
}
