namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.IO;

// Where the repository is, found from the test assembly's folder so the tests run from any
// working directory.
internal static class Repository
{
    private static readonly Lazy<string> root = new Lazy<string>(FindRoot);

    public static string Root => root.Value;

    public static string Sample(string name) => Path.Combine(Root, "samples", name);

    private static string FindRoot()
    {
        for (DirectoryInfo? folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Unikraft.Gen.sln")) ||
                File.Exists(Path.Combine(folder.FullName, "Directory.Packages.props")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException(
            "No Unikraft.Gen.sln or Directory.Packages.props above " + AppContext.BaseDirectory + ": the tests must run from inside the repository.");
    }
}
