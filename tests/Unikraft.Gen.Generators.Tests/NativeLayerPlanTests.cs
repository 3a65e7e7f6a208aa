using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Unikraft.Gen.Tests;

// UnikraftNativeLayer (on for an executable on hosted, JIT run or NativeAOT build): the kernel
// serves the BCL's own native functions, so its entry points are roots, with the syscalls they
// call and every mount, and the boot points the JIT route's jump slots at them.
public sealed class NativeLayerPlanTests
{
    private const string Program = "System.Console.WriteLine(\"hello\");\n";

    private static GeneratorHarness.Result Build(Dictionary<string, string> properties) =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", Program) }), properties);

    private static bool HasNativeLibrary(GeneratorHarness.Result result) =>
        result.Run.Results.Single().GeneratedSources.Any(source => source.HintName.Contains("Native/NativeFiles", System.StringComparison.Ordinal));

    [Fact]
    public void NativeLayerOn_KeepsItsEntryPoints_TheirSyscalls_AndEveryMount()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>
        {
            ["UnikraftNativeLayer"] = "true",
            ["UnikraftNativeSlots"] = "true",
            ["UnikraftMounts"] = "/|ramfs|||>/data|ramfs|||",
        });

        Assert.Empty(result.Problems);
        Assert.True(HasNativeLibrary(result));
        string files = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains("Native/NativeFiles", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("EntryPoint = \"__wrap_SystemNative_Open\"", files);
        Assert.Contains("EntryPoint = \"__wrap_SystemNative_PWriteV\"", files);

        // What the entry points call is implemented, though the program itself only writes a line.
        Assert.Contains("openat", result.ImplementedSyscalls);
        Assert.Contains("getdents64", result.ImplementedSyscalls);
        Assert.Contains("renameat2", result.ImplementedSyscalls);
        Assert.Contains("getrandom", result.ImplementedSyscalls);
        Assert.Contains("      [native layer]  SystemNative_Open\n", result.Manifest.Replace("// ", "", System.StringComparison.Ordinal));
        Assert.DoesNotContain("[native layer]:", result.Manifest);

        // BCL code may use any path: every mount is kept, and the native library boots.
        Assert.Contains("\"/data\"", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("NativeLayer.Attach", result.Source("Unikraft.Boot.g.cs"));
        string slots = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains("Native/NativeSlots", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("slots.Point(\"SystemNative_Open\", (nint)(delegate* unmanaged<nint, int, int, nint>)&NativeFiles.Open);", slots);
    }

    // A NativeAOT image (no jump slots) keeps no slot table: it would name every entry point and
    // keep them all, whatever the link imports.
    [Fact]
    public void NativeLayerWithoutSlots_KeepsNoSlotTable()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftNativeLayer"] = "true", ["UnikraftNativeImports"] = "SystemNative_Write" });

        Assert.Empty(result.Problems);
        Assert.DoesNotContain(result.Run.Results.Single().GeneratedSources, s => s.HintName.Contains("Native/NativeSlots", System.StringComparison.Ordinal));
        Assert.DoesNotContain("NativeSlots.Attach", string.Concat(result.Run.Results.Single().GeneratedSources.Select(s => s.SourceText.ToString())));
    }

    // Even Hello links the BCL's file functions (the console reads its terminal database through
    // them): with no mount declared, they answer from a small ramfs root, and the kernel compiles.
    [Fact]
    public void NativeLayerOn_NoMounts_GetsASmallRamfsRoot()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftNativeLayer"] = "true" });

        Assert.Empty(result.Problems);
        Assert.True(HasNativeLibrary(result));
        Assert.Contains("VfsMounts.Mount(kernel, \"/\", new global::Unikraft.Kernel.RamFileSystem(", result.Source("Unikraft.Boot.g.cs"));
    }

    // Once the link has said which SystemNative functions the image imports (Hello's list:
    // the runtime's helpers, mmap and the random bytes), only their entry points are roots: no
    // file entry point, no VFS, no ramfs root, no file syscall; and the manifest names, for each
    // library kept, the imported functions that need it.
    [Fact]
    public void ImportListKnown_KeepsOnlyImportedEntryPoints_AndNoFileSystem()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>
        {
            ["UnikraftNativeLayer"] = "true",
            ["UnikraftNativeImports"] = "SystemNative_Free,SystemNative_GetNonCryptographicallySecureRandomBytes,SystemNative_MMap,SystemNative_Malloc",
        });

        Assert.Empty(result.Problems);
        Assert.False(HasNativeLibrary(result), "NativeFiles is emitted though the link imports no file function");
        string random = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains("Native/NativeRandom", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("EntryPoint = \"__wrap_SystemNative_GetNonCryptographicallySecureRandomBytes\"", random);
        Assert.DoesNotContain("__wrap_SystemNative_GetCryptographicallySecureRandomBytes", random);
        Assert.DoesNotContain("openat", result.ImplementedSyscalls);
        Assert.DoesNotContain("newfstatat", result.ImplementedSyscalls);
        Assert.Contains("getrandom", result.ImplementedSyscalls);
        Assert.DoesNotContain("VfsMounts.Mount", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("ramfs", result.Manifest);

        string manifest = result.Manifest.Replace("// ", "", System.StringComparison.Ordinal);
        Assert.Contains("Native layer (the functions the NativeAOT link imports that the kernel serves; the link's import list names 4, the runtime's reviewed helpers left out)\n", manifest);
        string randomLine = manifest.Split('\n').Single(line => line.StartsWith("  SystemNative_GetNonCryptographicallySecureRandomBytes  needs ", System.StringComparison.Ordinal));
        Assert.Contains("library random", randomLine);
        Assert.Contains("syscall getrandom", randomLine);
        Assert.DoesNotContain("library vfs", randomLine);
        Assert.StartsWith("  SystemNative_MMap  needs ", manifest.Split('\n').Single(line => line.Contains("SystemNative_MMap  needs", System.StringComparison.Ordinal)));
        Assert.Contains("  random  Randomness device and getrandom\n      native layer: SystemNative_GetNonCryptographicallySecureRandomBytes\n", manifest);
        Assert.DoesNotContain("SystemNative_Open", manifest);
    }

    // A file function in the list brings its entry point, the VFS and the ramfs root back.
    [Fact]
    public void ImportListWithAFileFunction_KeepsItsEntryPoint_AndTheRamfsRoot()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>
        {
            ["UnikraftNativeLayer"] = "true",
            ["UnikraftNativeImports"] = "SystemNative_Stat",
        });

        Assert.Empty(result.Problems);
        Assert.True(HasNativeLibrary(result));
        Assert.Contains("newfstatat", result.ImplementedSyscalls);
        Assert.DoesNotContain("openat", result.ImplementedSyscalls);
        Assert.Contains("VfsMounts.Mount(kernel, \"/\", new global::Unikraft.Kernel.RamFileSystem(", result.Source("Unikraft.Boot.g.cs"));
        Assert.Contains("      native layer: SystemNative_Stat\n", result.Manifest.Replace("// ", "", System.StringComparison.Ordinal));
    }

    // UnikraftSpecialize=false is the whole kernel: a list changes nothing.
    [Fact]
    public void ImportListKnown_SpecializeOff_KeepsEveryEntryPoint()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>
        {
            ["UnikraftNativeLayer"] = "true",
            ["UnikraftSpecialize"] = "false",
            ["UnikraftNativeImports"] = "SystemNative_MMap",
        });

        Assert.Empty(result.Problems);
        Assert.True(HasNativeLibrary(result));
        Assert.Contains("openat", result.ImplementedSyscalls);
    }

    [Fact]
    public void NativeLayerOff_KeepsNoEntryPoint_AndOnlyWhatTheProgramCalls()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftMounts"] = "/|ramfs|||>/data|ramfs|||" });

        Assert.Empty(result.Problems);
        Assert.False(HasNativeLibrary(result));
        Assert.DoesNotContain("openat", result.ImplementedSyscalls);
        Assert.DoesNotContain("native layer", result.Manifest);
    }

    [Fact]
    public void NativeLayerOn_SimPlatform_KeepsNoEntryPoint()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string> { ["UnikraftNativeLayer"] = "true", ["UnikraftPlatform"] = "sim" });

        Assert.Empty(result.Problems);
        Assert.False(HasNativeLibrary(result));
    }

    // The hosted boot confines the program; the manifest names what the filter refuses everywhere,
    // allows in a NativeAOT image and adds under the JIT (calls, and the folders Landlock lets it
    // open), as the kernel's own tables say it. With the link's import
    // list not known, OpenSSL may be linked: the boot loads it before the filter.
    [Fact]
    public void HostedBoot_InstallsConfinement_AndTheManifestSaysWhat()
    {
        GeneratorHarness.Result result = Build(new Dictionary<string, string>());

        Assert.Empty(result.Problems);
        Assert.Contains("global::Unikraft.Kernel.HostedConfinement.Install(kernel, global::Unikraft.Kernel.HostedConfinement.OpenSsl, global::System.Array.Empty<int>(), global::System.Array.Empty<string>(), global::System.Array.Empty<string>(), global::System.Array.Empty<string>());", result.Source("Unikraft.Boot.g.cs"));
        // A kernel with no network device carries none of the devices' code.
        Assert.DoesNotContain("HostedNetDevices", result.Manifest);
        string kernel = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains("HostedConfinement", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Equal(Names(KernelGenerator.Emit.HostedConfinementSummary).Where(n => n != "clone without CLONE_THREAD").OrderBy(n => n), Table(kernel, "RefusedCalls").OrderBy(n => n));
        Assert.Equal(Names(KernelGenerator.Emit.ConfinementRuntimeCalls), Table(kernel, "RuntimeCalls").Concat(Table(kernel, "CheckedRuntimeCalls")));
        Assert.Equal(Names(KernelGenerator.Emit.ConfinementHostFolderCalls), Table(kernel, "HostFolderCalls").Concat(Table(kernel, "CheckedHostFolderCalls")));
        Assert.Equal(Names(KernelGenerator.Emit.ConfinementPasstCalls), Table(kernel, "PasstCalls").Concat(Table(kernel, "CheckedPasstCalls")));
        Assert.Equal(Names(KernelGenerator.Emit.ConfinementJitCalls), Table(kernel, "JitCalls").Concat(Table(kernel, "CheckedJitCalls")).Concat(Table(kernel, "JitPathCalls")));
        string landlock = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains("HostedLandlock", System.StringComparison.Ordinal)).SourceText.ToString();
        int folders = landlock.IndexOf(" SystemFolders =", System.StringComparison.Ordinal);
        Assert.Equal(KernelGenerator.Emit.ConfinementJitSystemFolders.Split(", "),
            System.Text.RegularExpressions.Regex.Matches(landlock.Substring(folders, landlock.IndexOf("};", folders, System.StringComparison.Ordinal) - folders), "\"([^\"]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("  under dotnet run (JIT), the same list and the runtime's calls by path: " + KernelGenerator.Emit.ConfinementJitCalls, result.Manifest);
        Assert.Contains("/dev/null, " + KernelGenerator.Emit.ConfinementJitSystemFolders + "; elsewhere", result.Manifest);
        Assert.Contains("refused with EPERM once booted: " + KernelGenerator.Emit.HostedConfinementSummary, result.Manifest);
        Assert.Contains("    the runtime: " + KernelGenerator.Emit.ConfinementRuntimeCalls, result.Manifest);
        Assert.Contains("    OpenSSL is loaded at boot: the link's import list is not known to this compile", result.Manifest);
        Assert.DoesNotContain("the host folders:", result.Manifest);
        Assert.DoesNotContain("passt:", result.Manifest);
    }

    // What the plan adds to the allow list: host folders for a hostfs mount, passt's calls for a
    // passt interface, and OpenSSL only when the link's import list names its shim.
    [Theory]
    [InlineData("SystemNative_Read", "global::Unikraft.Kernel.HostedConfinement.HostFolders | global::Unikraft.Kernel.HostedConfinement.Passt")]
    [InlineData("CryptoNative,SystemNative_Read", "global::Unikraft.Kernel.HostedConfinement.HostFolders | global::Unikraft.Kernel.HostedConfinement.Passt | global::Unikraft.Kernel.HostedConfinement.OpenSsl")]
    public void HostFoldersPasstAndOpenSsl_AreAllowedWhenThePlanHasThem(string imports, string needs)
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unikraft-gen-tests", "confine-" + System.Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(folder);
        try
        {
            GeneratorHarness.Result result = Build(new Dictionary<string, string>
            {
                ["UnikraftMounts"] = "/|ramfs|||>/data|hostfs|" + folder + "||",
                ["UnikraftNets"] = "eth0|passt|198.18.0.2/24|198.18.0.1||8080|||end",
                ["UnikraftNativeImports"] = imports,
            });

            Assert.Empty(result.Problems);
            // The program never reaches /data, so the boot mounts no host folder for Landlock to
            // allow (HostFoldersTheBootMounts_AreLandlocksUnderTheJit has some).
            Assert.Contains("global::Unikraft.Kernel.HostedConfinement.Install(kernel, " + needs + ", global::Unikraft.Kernel.HostedNetDevices.ChildProcesses(), global::System.Array.Empty<string>(), global::System.Array.Empty<string>(), global::System.Array.Empty<string>());", result.Source("Unikraft.Boot.g.cs"));
            Assert.Contains(", and the host folders; elsewhere", result.Manifest);
            Assert.Contains("    the host folders: " + KernelGenerator.Emit.ConfinementHostFolderCalls, result.Manifest);
            Assert.Contains("    passt: " + KernelGenerator.Emit.ConfinementPasstCalls, result.Manifest);
            Assert.Equal(imports.StartsWith("CryptoNative", System.StringComparison.Ordinal), result.Manifest.Contains("OpenSSL is loaded at boot: the link's import list names its shim", System.StringComparison.Ordinal));
        }
        finally
        {
            System.IO.Directory.Delete(folder, true);
        }
    }

    // "a, b (why), c": the names, without what the parentheses say.
    // The host folders the boot mounts (every one, with the native layer) go to the confinement,
    // writable and read-only apart: under the JIT its Landlock ruleset lets the process open them.
    [Fact]
    public void HostFoldersTheBootMounts_AreLandlocksUnderTheJit()
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unikraft-gen-tests", "confine-" + System.Guid.NewGuid().ToString("N"));
        string shelf = folder + "-shelf";
        System.IO.Directory.CreateDirectory(folder);
        System.IO.Directory.CreateDirectory(shelf);
        try
        {
            GeneratorHarness.Result result = Build(new Dictionary<string, string>
            {
                ["UnikraftNativeLayer"] = "true",
                ["UnikraftMounts"] = "/|ramfs|||>/data|hostfs|" + folder + "|false|>/shelf|hostfs|" + shelf + "|true|",
            });

            Assert.Empty(result.Problems);
            Assert.Contains(", new string[] { \"" + folder + "\" }, new string[] { \"" + shelf + "\" }, global::System.Array.Empty<string>());", result.Source("Unikraft.Boot.g.cs"));
            Assert.Contains(", and the host folders; elsewhere", result.Manifest);
        }
        finally
        {
            System.IO.Directory.Delete(folder, true);
            System.IO.Directory.Delete(shelf, true);
        }
    }

    // Under the JIT (no import list) the inotify functions, and the kernel's inotify with them, come
    // only with a type that watches files: a program that never watches has neither, and its slots
    // are sealed; one that makes a FileSystemWatcher has both.
    [Fact]
    public void JitRoute_ServesInotify_OnlyWithATypeThatWatchesFiles()
    {
        var route = new Dictionary<string, string> { ["UnikraftNativeLayer"] = "true", ["UnikraftNativeSlots"] = "true" };
        GeneratorHarness.Result plain = Build(route);
        GeneratorHarness.Result watching = GeneratorHarness.Run(GeneratorHarness.Compilation(new[]
        {
            ("Program.cs", "using var watcher = new FileSystemWatcher(\"/tmp\");\nConsole.WriteLine(watcher.Path);\n"),
        }), route);

        Assert.Empty(plain.Problems);
        Assert.Empty(watching.Problems);
        Assert.DoesNotContain(plain.Run.Results.Single().GeneratedSources, s => s.HintName.Contains("Inotify/", System.StringComparison.Ordinal));
        Assert.DoesNotContain("SystemNative_INotifyInit", plain.Source("Native/NativeSlots.g.cs"));
        Assert.Contains("  Inotify  off", plain.Manifest);
        Assert.Contains(watching.Run.Results.Single().GeneratedSources, s => s.HintName.Contains("Inotify/InotifyInstance", System.StringComparison.Ordinal));
        Assert.Contains("SystemNative_INotifyInit", watching.Source("Native/NativeSlots.g.cs"));
        Assert.Contains("  Inotify  on", watching.Manifest);
    }

    // "a, b (why), c": the names, without what the parentheses say.
    private static IEnumerable<string> Names(string summary) =>
        summary.Split(", ").Select(n => n.Contains(" (", System.StringComparison.Ordinal) ? n.Substring(0, n.IndexOf(" (", System.StringComparison.Ordinal)) : n);

    // The "// name" comments of one of HostedConfinement's tables, in order.
    private static IEnumerable<string> Table(string kernel, string table)
    {
        int start = kernel.IndexOf(" " + table + " =", System.StringComparison.Ordinal);
        Assert.True(start >= 0, table + " is not in the generated kernel");
        string body = kernel.Substring(start, kernel.IndexOf("};", start, System.StringComparison.Ordinal) - start);
        return System.Text.RegularExpressions.Regex.Matches(body, @"// (\w+)").Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public void ConfinementOff_InstallsNone()
    {
        GeneratorHarness.Result off = Build(new Dictionary<string, string> { ["UnikraftConfinement"] = "false" });
        GeneratorHarness.Result simOff = Build(new Dictionary<string, string> { ["UnikraftPlatform"] = "sim", ["UnikraftConfinement"] = "false" });

        Assert.Empty(off.Problems);
        Assert.DoesNotContain("HostedConfinement", off.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("Confinement", off.Manifest);
        Assert.Empty(simOff.Problems);
        Assert.DoesNotContain("HostedConfinement", simOff.Source("Unikraft.Boot.g.cs"));
    }

    // A simulation runs as a Linux process too: its boot starts the supervisor first and installs
    // the filter once the node's file systems are mounted, before Main, and the manifest says so.
    [Fact]
    public void Sim_IsConfined_OnceTheNodeIsMounted()
    {
        GeneratorHarness.Result sim = Build(new Dictionary<string, string> { ["UnikraftPlatform"] = "sim" });

        Assert.Empty(sim.Problems);
        string boot = sim.Source("Unikraft.Boot.g.cs");
        int supervisor = boot.IndexOf("ConfinementSupervisor.Start();", System.StringComparison.Ordinal);
        int run = boot.IndexOf("SimProgram.Run(", System.StringComparison.Ordinal);
        int install = boot.IndexOf("HostedConfinement.Install(kernel, ", System.StringComparison.Ordinal);
        Assert.True(supervisor >= 0 && run > supervisor && install > run, boot);
        Assert.Contains("Confinement (seccomp, UnikraftConfinement=false turns it off)", sim.Manifest);
    }
}
