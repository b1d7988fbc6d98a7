namespace Appliance.Policy.Masking;

internal sealed record MaskerOptions
{
    public static readonly MaskerOptions Default = new();

    /// <summary>How long a custom pattern may run on one value; a timeout masks the whole value (fail closed).</summary>
    public TimeSpan PatternTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Distinct (statement, RowDescription) shapes whose plans are kept.</summary>
    public int PlanCacheCapacity { get; init; } = 2048;

    public int MaxPlanKeyBytes { get; init; } = 16384;
}
