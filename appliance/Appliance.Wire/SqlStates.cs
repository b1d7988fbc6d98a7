namespace Appliance.Wire;

/// <summary>
/// The SQLSTATE codes the gateway sends (PostgreSQL Appendix A, errcodes.txt).
/// </summary>
internal static class SqlStates
{
    public const string SuccessfulCompletion = "00000";
    public const string ConnectionException = "08000";
    public const string ConnectionFailure = "08006";
    public const string SqlClientUnableToEstablishConnection = "08001";
    public const string SqlServerRejectedEstablishmentOfConnection = "08004";
    public const string ProtocolViolation = "08P01";
    public const string FeatureNotSupported = "0A000";
    public const string InvalidAuthorizationSpecification = "28000";
    public const string InvalidPassword = "28P01";
    public const string InFailedSqlTransaction = "25P02";
    public const string InsufficientPrivilege = "42501";
    public const string TooManyConnections = "53300";
    public const string ProgramLimitExceeded = "54000";
    public const string QueryCanceled = "57014";
    public const string AdminShutdown = "57P01";
    public const string CannotConnectNow = "57P03";
    public const string IdleSessionTimeout = "57P05";
    public const string InternalError = "XX000";
}
