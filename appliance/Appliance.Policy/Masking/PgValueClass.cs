namespace Appliance.Policy.Masking;

/// <summary>How a result column's values are read for masking, from its type OID (pg_type.dat).</summary>
internal enum PgValueClass : byte
{
    /// <summary>text, varchar, bpchar, name, unknown, xml, cstring, refcursor: the value is text in both formats.</summary>
    Text,
    /// <summary>json: text in both formats.</summary>
    Json,
    /// <summary>jsonb: text, or in binary a version byte (1) and the text.</summary>
    Jsonb,
    /// <summary>bytea: <c>\x</c> hex (or escape format) as text; raw bytes in binary.</summary>
    Bytea,
    Int8,
    Numeric,
    Float8,
    /// <summary>Types whose values cannot carry a card, SSN or e-mail (bool, int4, dates, uuid, inet…): never scanned.</summary>
    Fixed,
    /// <summary>Arrays of text-like types and records: text format is rewritten in place; binary is parsed.</summary>
    TextContainer,
    /// <summary>Arrays of numbers: any detected value makes the whole value NULL.</summary>
    NumberArray,
    /// <summary>money: int8 cents in binary, the locale's format (<c>$4,111.00</c>) as text.</summary>
    Money,
    /// <summary>Ranges and multiranges of int8 or numeric: text is rewritten; binary bounds are read as numbers.</summary>
    Range,
    /// <summary>pg_snapshot and txid_snapshot: text is rewritten; binary is an int4 count, then int8 transaction ids, each read as a number.</summary>
    Snapshot,
    /// <summary>Everything else (enums, composites, other ranges, extension types): text is rewritten, binary is scanned raw and, when it reads as an array or a record, element by element.</summary>
    Opaque,
}

internal static class PgTypes
{
    public const uint Bool = 16, Bytea = 17, Char = 18, Name = 19, Int8 = 20, Int2 = 21, Int4 = 23, Regproc = 24, Text = 25,
        Oid = 26, Tid = 27, Xid = 28, Cid = 29, Json = 114, Xml = 142, XmlArray = 143, JsonArray = 199, Point = 600, Lseg = 601,
        Path = 602, Box = 603, Polygon = 604, Line = 628, Cidr = 650, Float4 = 700, Float8 = 701, Unknown = 705, Circle = 718,
        Macaddr8 = 774, Money = 790, Macaddr = 829, Inet = 869, NameArray = 1003, Int2Array = 1005, Int4Array = 1007,
        TextArray = 1009, BpcharArray = 1014, VarcharArray = 1015, Int8Array = 1016, Float4Array = 1021, Float8Array = 1022,
        Bpchar = 1042, Varchar = 1043, Date = 1082, Time = 1083, Timestamp = 1114, Timestamptz = 1184, Interval = 1186,
        NumericArray = 1231, Timetz = 1266, Bit = 1560, Varbit = 1562, Numeric = 1700, Refcursor = 1790, Record = 2249,
        Cstring = 2275, RecordArray = 2287, Uuid = 2950, PgLsn = 3220, TsVector = 3614, TsQuery = 3615, Jsonb = 3802, JsonbArray = 3807, Xid8 = 5069, PgSnapshot = 5038, TxidSnapshot = 2970,
        Xid8Array = 271, MoneyArray = 791, ByteaArray = 1001, NumRange = 3906, Int8Range = 3926, NumMultirange = 4532, Int8Multirange = 4536;

    public static PgValueClass Classify(uint typeOid) => typeOid switch
    {
        Text or Varchar or Bpchar or Name or Unknown or Xml or Cstring or Refcursor => PgValueClass.Text,
        Json => PgValueClass.Json,
        Jsonb => PgValueClass.Jsonb,
        Bytea => PgValueClass.Bytea,
        // xid8 is an unsigned 64-bit number: a card fits (every card is below 2^63).
        Int8 or Xid8 => PgValueClass.Int8,
        Numeric => PgValueClass.Numeric,
        Float8 => PgValueClass.Float8,
        Bool or Char or Int2 or Int4 or Oid or Float4 or Date or Time or Timestamp or Timestamptz or Interval or Timetz
            or Uuid or Macaddr or Macaddr8 or Inet or Cidr or Bit or Varbit or Tid or Xid or Cid or PgLsn
            or Point or Lseg or Path or Box or Polygon or Line or Circle or Regproc or (>= 2202 and <= 2206) or 4089 or 4096
            or 3734 or 3769 or Int2Array or Int4Array or Float4Array => PgValueClass.Fixed,
        TextArray or VarcharArray or BpcharArray or NameArray or JsonArray or JsonbArray or XmlArray or Record
            or RecordArray or ByteaArray => PgValueClass.TextContainer,
        Int8Array or NumericArray or Float8Array or Xid8Array or MoneyArray => PgValueClass.NumberArray,
        Money => PgValueClass.Money,
        PgSnapshot or TxidSnapshot => PgValueClass.Snapshot,
        Int8Range or NumRange or Int8Multirange or NumMultirange => PgValueClass.Range,
        _ => PgValueClass.Opaque,
    };
}
