namespace Appliance.Gateway.Postgres;

/// <summary>Text people wrote (a revoke's or a denial's reason) as the gateway puts it in a client's message.</summary>
internal static class PeopleText
{
    /// <summary>
    /// On one line: psql prints a message's newlines as they are, so a reason could add a line
    /// that reads as the server's own (<c>ERROR: …</c>; probe BA). Control characters and Unicode's
    /// line and paragraph separators (U+2028, U+2029: line breaks to some viewers, probe CB) become spaces.
    /// </summary>
    public static string OneLine(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' ? ' ' : source[i];
            }
        });
}
