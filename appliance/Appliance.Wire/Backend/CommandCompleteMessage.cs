using System.Buffers.Text;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Backend;

/// <summary>CommandComplete 'C' (backend): the command tag, e.g. "SELECT 3", "INSERT 0 1", "CREATE TABLE".</summary>
internal readonly ref struct CommandCompleteMessage
{
    private CommandCompleteMessage(ReadOnlySpan<byte> tag) => Tag = tag;

    public ReadOnlySpan<byte> Tag { get; }

    /// <summary>The first word of the tag ("SELECT", "INSERT", "CREATE").</summary>
    public ReadOnlySpan<byte> Command
    {
        get
        {
            var space = Tag.IndexOf((byte)' ');
            return space < 0 ? Tag : Tag[..space];
        }
    }

    public static CommandCompleteMessage Parse(ReadOnlySpan<byte> body)
    {
        var reader = new PgBodyReader(body, "CommandComplete");
        var tag = reader.ReadCString();
        reader.EnsureEnd();
        return new CommandCompleteMessage(tag);
    }

    /// <summary>
    /// The row count of the commands whose tag carries one (PostgreSQL's cmdtag.c, rowcount
    /// true): SELECT, INSERT (after the legacy OID, always 0), UPDATE, DELETE, MERGE, FETCH,
    /// MOVE, COPY. False for other tags or a malformed count.
    /// </summary>
    public bool TryGetRowCount(out ulong rows)
    {
        rows = 0;
        var command = Command;
        if (command.Length == Tag.Length)
        {
            return false;
        }

        var rest = Tag[(command.Length + 1)..];
        if (command.SequenceEqual("INSERT"u8))
        {
            var space = rest.IndexOf((byte)' ');
            if (space < 0)
            {
                return false;
            }

            rest = rest[(space + 1)..];
        }
        else if (!(command.SequenceEqual("SELECT"u8) || command.SequenceEqual("UPDATE"u8) ||
                   command.SequenceEqual("DELETE"u8) || command.SequenceEqual("MERGE"u8) ||
                   command.SequenceEqual("FETCH"u8) || command.SequenceEqual("MOVE"u8) ||
                   command.SequenceEqual("COPY"u8)))
        {
            return false;
        }

        if (!rest.IsEmpty && rest[0] is >= (byte)'0' and <= (byte)'9' &&
            Utf8Parser.TryParse(rest, out rows, out var used) && used == rest.Length)
        {
            return true;
        }

        rows = 0;
        return false;
    }
}
