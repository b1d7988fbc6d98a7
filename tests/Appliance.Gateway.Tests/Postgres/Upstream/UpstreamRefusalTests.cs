using Appliance.Gateway.Postgres.Relay;
using Appliance.Gateway.Postgres.Upstream;
using Appliance.Policy.Configuration;
using Appliance.Wire;
using Appliance.Wire.Backend;

namespace Appliance.Gateway.Tests.Postgres.Upstream;

/// <summary>What a client is told when the upstream refuses the gateway's login: never the stored user or password.</summary>
public sealed class UpstreamRefusalTests
{
    private static UpstreamLoginException Refusal(string user, string sqlState, string message)
    {
        var error = LocalMessages.Error(sqlState, message);
        return UpstreamConnector.Refusal(
            ErrorOrNoticeMessage.Parse(error.AsSpan(PgLimits.MessageHeaderLength)),
            new UpstreamPolicy { Host = "db.internal", Port = 5432, Database = "apdb", User = user });
    }

    [Fact]
    public void AShortStoredUserName_IsTakenOutWhereItIsNamed_AndNowhereElse()
    {
        // With user "e", a plain text replace left "r(the stored user)j(the stored user)cts" (probe AP).
        var refusal = Refusal("e", SqlStates.InvalidAuthorizationSpecification,
            "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"e\", database \"apdb\", no encryption");

        Assert.Equal(SqlStates.SqlServerRejectedEstablishmentOfConnection, refusal.SqlState);
        Assert.Contains("pg_hba.conf rejects connection for host \"127.0.0.1\", user \"(the stored user)\", database \"apdb\", no encryption", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStoredUserNamedAsTheDatabase_LeavesTheDatabaseNamed()
    {
        var refusal = Refusal("apdb", "53300", "too many connections for role \"apdb\"");

        Assert.Equal("53300", refusal.SqlState);
        Assert.Equal("the upstream server refused the connection: too many connections for role \"(the stored user)\"", refusal.Message);
    }

    [Fact]
    public void AWrongPassword_SaysNothingOfTheUpstreamWords()
    {
        var refusal = Refusal("svc", SqlStates.InvalidPassword, "password authentication failed for user \"svc\"");

        Assert.Contains("refused the gateway's stored credentials (SQLSTATE 28P01)", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("svc", refusal.Message, StringComparison.Ordinal);
    }
}
