using Appliance.Gateway.Access;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Configuration;
using Appliance.Gateway.Postgres.Sessions;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>What every session works with: shared, thread-safe services of the gateway.</summary>
internal sealed record SessionServices(
    PostgresListenerOptions Options,
    SessionRegistry Registry,
    SessionRecorder Recorder,
    GatewayNode Node,
    CommandReviews Reviews,
    GuardrailEvents GuardrailEvents,
    IPolicyProvider Policy,
    Upstream.UpstreamConnector Connector,
    Upstream.CutBackends CutBackends,
    LargeStatementGate LargeStatements,
    TimeProvider Time,
    ILogger<PgSession> Logger);
