using System.Runtime.CompilerServices;

namespace Appliance.Gateway.Tests.Install;

/// <summary>
/// The checkout the install tests read files from: found above this source file, because the
/// test binaries may be built outside it (<c>--artifacts-path</c>).
/// </summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(sourceFile)!); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Appliance.sln above {sourceFile}");
    }
}
