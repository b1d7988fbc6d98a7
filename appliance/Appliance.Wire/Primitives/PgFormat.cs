namespace Appliance.Wire.Primitives;

/// <summary>A value's format code. The protocol defines only these two.</summary>
internal enum PgFormat : short
{
    Text = 0,
    Binary = 1,
}
