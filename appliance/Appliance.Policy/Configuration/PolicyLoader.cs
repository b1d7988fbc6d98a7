using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Appliance.Policy.Configuration;

/// <summary>
/// Loads <c>config/appliance.yaml</c> (product.md §3) from text: parse, substitute
/// <c>${NAME}</c> from the environment, validate, and report every error at once with its line.
/// Pure: the caller reads the file and watches it.
/// </summary>
public static class PolicyLoader
{
    /// <param name="yamlText">The file's content.</param>
    /// <param name="sourceName">How errors name the file, e.g. <c>config/appliance.yaml</c>.</param>
    /// <param name="environment">Looks up <c>${NAME}</c>; <c>null</c> when not set.</param>
    public static PolicyLoadResult Load(string yamlText, string sourceName, Func<string, string?> environment)
    {
        var variables = new VariableReferences(yamlText);
        var reader = new ConfigReader(sourceName, variables, environment);
        var policy = Parse(variables.MaskedText, reader) is { } root ? new PolicyReader(reader).Read(root) : null;
        if (policy is not null && reader.Errors.Count == 0)
        {
            return PolicyLoadResult.Valid(policy);
        }

        var errors = reader.Errors
            .OrderBy(e => e.Line ?? int.MaxValue)
            .ThenBy(e => e.Column ?? int.MaxValue)
            .ToList();
        return PolicyLoadResult.Invalid(errors);
    }

    private static YamlNode? Parse(string text, ConfigReader reader)
    {
        var parser = new Parser(new StringReader(text));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            reader.Report(e.Start, ConfigErrorKind.Syntax, $"YAML syntax error: {e.Message}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this for some unterminated flow collections; the parser's
            // last event is the best position we have.
            reader.Report(parser.Current?.Start ?? Mark.Empty, ConfigErrorKind.Syntax,
                "YAML syntax error: malformed text here (an unclosed '[', '{' or quote?)");
            return null;
        }

        switch (stream.Documents.Count)
        {
            case 0:
                reader.Report(Mark.Empty, ConfigErrorKind.Empty, "the policy is empty: it needs at least users and connections");
                return null;
            case > 1:
                reader.Report(stream.Documents[1].RootNode.Start, ConfigErrorKind.Syntax,
                    "the file holds several YAML documents ('---'); put the whole policy in one");
                return null;
            default:
                return stream.Documents[0].RootNode;
        }
    }
}
