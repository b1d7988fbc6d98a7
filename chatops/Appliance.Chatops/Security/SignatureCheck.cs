namespace Appliance.Chatops.Security;

/// <summary>Why a signed request was accepted or refused (logged; the sender only learns 401).</summary>
internal enum SignatureCheck
{
    Valid,
    NotConfigured,
    Missing,
    Malformed,
    Stale,
    Invalid,
    Replayed,
}
