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

    internal static (GeneratorHarness.Result Result, MetadataReference Reference) BuildLibrary()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            GeneratorHarness.Compilation(new[] { ("Store.cs", Store) }, assemblyName: "Lib", kind: OutputKind.DynamicallyLinkedLibrary),
            new Dictionary<string, string> { ["OutputType"] = "Library", ["AssemblyName"] = "Lib", ["UnikraftMounts"] = "/tmp|ramfs|||" });
        using var image = new MemoryStream();
        EmitResult emitted = result.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return (result, MetadataReference.CreateFromImage(image.ToArray()));
    }
}
