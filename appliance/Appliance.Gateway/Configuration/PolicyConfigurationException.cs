using Appliance.Policy.Configuration;

namespace Appliance.Gateway.Configuration;

/// <summary>
/// The policy file cannot be used at start. The message lists every error, one per line, so
/// the host prints them all when it refuses to start.
/// </summary>
internal sealed class PolicyConfigurationException : Exception
{
    public PolicyConfigurationException(string message, IReadOnlyList<ConfigError> errors, Exception? inner = null)
        : base(message, inner) =>
        Errors = errors;

    public PolicyConfigurationException()
        : this("The policy cannot be loaded.", [])
    {
    }

    public PolicyConfigurationException(string message)
        : this(message, [])
    {
    }

    public PolicyConfigurationException(string message, Exception inner)
        : this(message, [], inner)
    {
    }

    public IReadOnlyList<ConfigError> Errors { get; }
}
