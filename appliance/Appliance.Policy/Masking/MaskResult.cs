namespace Appliance.Policy.Masking;

/// <summary>What became of one value.</summary>
internal enum MaskResult : byte
{
    /// <summary>Relay the value as it is; nothing was written.</summary>
    Unchanged,
    /// <summary>The masked value was written to the output.</summary>
    Replaced,
    /// <summary>Send NULL instead: no masked value of this type could be written.</summary>
    Null,
}
