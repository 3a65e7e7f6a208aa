using System;

namespace Unikraft.Gen.Support
{
    // Whether a reference is part of a shared framework (the BCL the support table describes, which
    // the reference scan does not read), decided by where the reference comes from, never by its
    // name: Microsoft.Extensions.Logging, Microsoft.Data.Sqlite and System.Reactive are NuGet
    // packages like any other, compiled already, and reach the host as any other would.
    //
    // The compiler is handed a shared framework's assemblies from its targeting pack
    // (<dotnet>/packs/Microsoft.NETCore.App.Ref/<version>/ref/<tfm>/, the same for
    // Microsoft.AspNetCore.App.Ref and Microsoft.WindowsDesktop.App.Ref; NETStandard.Library.Ref
    // for netstandard2.1), or from the same pack restored as a NuGet package
    // (~/.nuget/packages/microsoft.netcore.app.ref/...) when the SDK does not carry it; a host that
    // compiles against the runtime itself hands it <dotnet>/shared/Microsoft.NETCore.App/<version>/.
    // MSBuild knows the same thing as the FrameworkReferenceName metadata of a ReferencePath item,
    // which is how the build's IL scan (Unikraft.Gen.targets) chooses what to read.
    //
    // A reference with no file path at all (an image in memory, which only test hosts and tools
    // make) has no origin to tell: for it alone the assembly's name decides.
    internal static class FrameworkReference
    {
        // Folder names that hold only a shared framework's assemblies. NuGet lower-cases package
        // folders and the SDK's packs keep their case, so they are compared ignoring case. The
        // generator asks on every compilation, for every reference: nothing here allocates but a
        // path with backslashes.
        private static readonly string[] s_folders =
        {
            "/microsoft.netcore.app.ref/",
            "/microsoft.aspnetcore.app.ref/",
            "/microsoft.windowsdesktop.app.ref/",
            "/netstandard.library.ref/",
            "/shared/microsoft.netcore.app/",
            "/shared/microsoft.aspnetcore.app/",
            "/shared/microsoft.windowsdesktop.app/",
        };

        public static bool IsFramework(string? filePath, string assemblyName)
        {
            if (filePath is null || (filePath.IndexOf('/') < 0 && filePath.IndexOf('\\') < 0))
            {
                return SupportTable.IsFrameworkAssembly(assemblyName);
            }

            string path = filePath.IndexOf('\\') < 0 ? filePath : filePath.Replace('\\', '/');
            foreach (string folder in s_folders)
            {
                if (path.IndexOf(folder, StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
