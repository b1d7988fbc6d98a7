using System.Diagnostics.CodeAnalysis;

namespace Appliance.Policy.Masking;

/// <summary>
/// Resolves a RowDescription field's source column (table OID and attnum) to the column's name.
/// The gateway implements it (pg_attribute, cached per upstream database); it must not block.
/// Returning false means "not known now": the plan then fails closed and is not cached.
/// </summary>
internal interface IColumnNameLookup
{
    bool TryGetColumnName(uint tableOid, short attributeNumber, [NotNullWhen(true)] out string? columnName);
}
