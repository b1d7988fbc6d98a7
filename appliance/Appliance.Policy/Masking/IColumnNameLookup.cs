using System.Diagnostics.CodeAnalysis;

namespace Appliance.Policy.Masking;

/// <summary>
/// Resolves a RowDescription field's source column (table OID and attnum) to the column's name.
/// The gateway implements it (pg_attribute, cached per upstream database); it must not block.
/// Returning false means "not known now": the plan then fails closed and is not cached.
/// Attribute number 0 is the whole row of the table (<c>SELECT c FROM customers c</c>): it
/// resolves to the name of a masked column the row holds, so the row is masked whole, or to ""
/// when it holds none.
/// </summary>
internal interface IColumnNameLookup
{
    bool TryGetColumnName(uint tableOid, short attributeNumber, [NotNullWhen(true)] out string? columnName);

    /// <summary>
    /// Whether a relation of this name (as a statement writes it, any schema) has a masked
    /// column: true, false, or null when no relation of that name is known (a WITH query, a
    /// table created since): its whole row then counts as carrying one.
    /// </summary>
    bool? RelationHasMaskedColumn(string relationName);

    /// <summary>
    /// The columns of a relation of this name (a view) that carry a masked column under names of
    /// their own (<c>SELECT ssn AS s</c>): a statement computing on one names it, not the masked
    /// column. Null when it has none. A function already in the database that may return a masked
    /// column answers its own name: wherever a statement calls it, the statement names one.
    /// </summary>
    IReadOnlySet<string>? MaskedColumnsUnderOtherNames(string relationName) => null;

    /// <summary>
    /// The columns of the relations of this name (any schema) that hold a masked column, as the
    /// names every one of them has; null when not known (a view, a WITH query, a relation made
    /// since the login). <c>c.x</c> where x is none of them is a function or cast applied to the
    /// whole row (<c>x(c)</c>), whatever function or cast the database holds.
    /// </summary>
    IReadOnlySet<string>? ColumnsOf(string relationName) => null;

    /// <summary>Whether any relation has such columns: when none does, a statement's names need not be looked up.</summary>
    bool HasMaskedColumnsUnderOtherNames => false;

    /// <summary>
    /// Whether a function already in the database may have kept a masked column's value where a
    /// statement reads it back without naming it: a setting, a sequence, a large object, a lock.
    /// </summary>
    bool SideChannelsMayHoldMasked => false;

    /// <summary>
    /// What the answers depend on, as a number: lookups with the same one give the same answers.
    /// A plan is cached with it and served only to a lookup of the same, so a catalog read after a
    /// view or column changed meaning does not get the plan of the one before (a view replaced
    /// between two logins kept its old columns' masks).
    /// </summary>
    long Version => 0;
}
