using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Configuration;

/// <summary>
/// The current validated policy. A reload swaps <see cref="Current"/> atomically; readers take
/// the reference once per operation so one operation never sees two policies.
/// </summary>
internal interface IPolicyProvider
{
    AppliancePolicy Current { get; }

    /// <summary>Incremented on every successful (re)load.</summary>
    long Version { get; }

    /// <summary>Raised after a successful reload with the new policy.</summary>
    event Action<AppliancePolicy>? Changed;
}
