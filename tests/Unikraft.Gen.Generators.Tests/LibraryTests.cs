using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Unikraft.Gen.Tests;

// A library built with the generator records what it needs in its metadata; the program's
// generator folds that into its kernel and wires the library's bridge at boot.
public sealed class LibraryTests
{
    private const string Store = """
        namespace Lib;

        public static class Store
        {
            public static void Save(string text) => File.WriteAllText("/tmp/store.txt", text);

            public static string Load()
            {
                Console.WriteLine("loading");
                return File.ReadAllText("/tmp/store.txt");
            }
        }
        """;

    internal const string App = """
        Lib.Store.Save("kept in the kernel's ramfs");
        Console.WriteLine(Lib.Store.Load());
        """;

    [Fact]
    public void LibraryCalls_AreFoldedIntoTheProgramsKernel_WithTheLibraryAsReason()
    {
        (GeneratorHarness.Result library, MetadataReference reference) = BuildLibrary();
        Assert.Empty(library.Problems);
        string bridge = library.Source("Unikraft.LibraryBridge.g.cs");
        Assert.Contains("public static class KernelBridge_Lib", bridge);
        Assert.Contains("[assembly: global::Unikraft.Generated.KernelNeedsAttribute(", bridge);

        GeneratorHarness.Result program = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", App) }).AddReferences(reference),
            new Dictionary<string, string> { ["UnikraftMounts"] = "/tmp|ramfs|||" });

        Assert.Empty(program.Problems);
        Assert.Contains("File.WriteAllText(string, string?) (needed by library Lib)", program.Manifest);
        Assert.Contains("[Lib] Store.cs:5", program.Manifest);
        Assert.Contains("openat", program.ImplementedSyscalls);
        Assert.Contains("write", program.ImplementedSyscalls);
        Assert.Contains("read", program.ImplementedSyscalls);
        Assert.DoesNotContain("LEFT OUT", program.Manifest);
        string boot = program.Source("Unikraft.Boot.g.cs");
        Assert.Contains("global::Unikraft.Generated.KernelBridge_Lib.System_IO_File_WriteAllText_", boot);
        Assert.Contains("global::Unikraft.Generated.KernelBridge_Lib.System_Console_WriteLine_", boot);
    }

    [Fact]
    public void ProgramWithoutTheLibrary_HasNoneOfItsNeeds()
    {
        GeneratorHarness.Result program = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", "Console.WriteLine(1);") }),
            new Dictionary<string, string> { ["UnikraftMounts"] = "/tmp|ramfs|||" });

        Assert.DoesNotContain("needed by library", program.Manifest);
        Assert.DoesNotContain("openat", program.ImplementedSyscalls);
        Assert.DoesNotContain("KernelBridge_", program.Source("Unikraft.Boot.g.cs"));
    }

    // A library named like the framework is a library like any other: whether a reference is the
    // framework is decided by where it comes from (here a NuGet package folder), not its name.
    [Fact]
    public void LibraryNamedLikeTheFramework_FromAPackage_HasItsNeedsFolded()
    {
        (_, byte[] image) = BuildLibrary("Microsoft.Notes");
        MetadataReference reference = MetadataReference.CreateFromImage(image,
            filePath: "/home/user/.nuget/packages/microsoft.notes/1.0.0/lib/net10.0/Microsoft.Notes.dll");

        GeneratorHarness.Result program = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Program.cs", App) }).AddReferences(reference),
            new Dictionary<string, string> { ["UnikraftMounts"] = "/tmp|ramfs|||" });

        Assert.Empty(program.Problems);
        Assert.Contains("File.WriteAllText(string, string?) (needed by library Microsoft.Notes)", program.Manifest);
    }

    // The generator marks the assembly it writes into, for that assembly's name: a program's
    // reference scan leaves the kernel's and the bridge's code out by the mark (and by nothing
    // else), so the mark must be there, and must not hold for another assembly.
    [Fact]
    public void LibraryBuiltWithTheGenerator_CarriesItsMark_ForItsOwnNameOnly()
    {
        (GeneratorHarness.Result library, byte[] image) = BuildLibrary("Lib");
        byte[] renamed = Emit(library.Output.WithAssemblyName("Other"));

        using (var reader = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(image)))
        {
            System.Reflection.Metadata.MetadataReader metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(reader);
            Assert.True(Support.GeneratedOutput.IsMarked(metadata));

            // What the mark exempts is the generator's code in the reserved namespaces. A library
            // whose calls all go through its bridge has no kernel of its own, so nothing of it
            // reaches the host: no P/Invoke at all.
            var pinvokes = metadata.MethodDefinitions.Select(metadata.GetMethodDefinition)
                .Where(method => (method.Attributes & System.Reflection.MethodAttributes.PinvokeImpl) != 0).ToList();
            Assert.Empty(pinvokes);
            Assert.DoesNotContain(library.Run.Results.Single().GeneratedSources,
                source => source.HintName.StartsWith("Kernel/", StringComparison.Ordinal) && source.HintName != KernelGenerator.Emit.ApiStubsHintName);
        }

        using (var reader = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(renamed)))
        {
            Assert.False(Support.GeneratedOutput.IsMarked(System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(reader)));
        }
    }

    internal static (GeneratorHarness.Result Result, MetadataReference Reference) BuildLibrary()
    {
        (GeneratorHarness.Result result, byte[] image) = BuildLibrary("Lib");
        return (result, MetadataReference.CreateFromImage(image));
    }

    private static (GeneratorHarness.Result Result, byte[] Image) BuildLibrary(string assemblyName)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Store.cs", Store) }, assemblyName: assemblyName, kind: OutputKind.DynamicallyLinkedLibrary),
            new Dictionary<string, string> { ["OutputType"] = "Library", ["AssemblyName"] = assemblyName, ["UnikraftMounts"] = "/tmp|ramfs|||" });
        return (result, Emit(result.Output));
    }

    private static byte[] Emit(Compilation compilation)
    {
        using var image = new MemoryStream();
        EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return image.ToArray();
    }
}
