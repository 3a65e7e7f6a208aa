using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// The native layer's jump-slot library as the build writes it (build/NativeSlotsElf.cs, no C
// compiler): its symbols, the loader's hash lookups of them, what each jump and refusal stub
// points at, the renamed copy of the runtime's own library, and glibc's loader taking both (in
// this process, against the test host's own libSystem.Native.so).
public sealed unsafe class NativeSlotsElfTests
{
    private static readonly string[] SmallExports = { "SystemNative_Abort", "SystemNative_GetPid", "SystemNative_Read" };

    private static readonly string[] BootSymbols =
    {
        NativeSlotsElf.TableSymbol, NativeSlotsElf.NamesSymbol, NativeSlotsElf.HelpersSymbol, NativeSlotsElf.CountSymbol, NativeSlotsElf.RefusalsSymbol,
    };

    // The test host's own libSystem.Native.so: the shared framework's.
    private static byte[] RuntimeLibrary() => File.ReadAllBytes(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Native.so"));

    [Fact]
    public void Write_ExportsEveryFunctionAndTheBootsData_AndImportsOnlyTheRenamedFunctions()
    {
        byte[] library = NativeSlotsElf.Write(SmallExports, new[] { "SystemNative_GetPid" });
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var undefined = new HashSet<string>(StringComparer.Ordinal);
        ElfSymbols.Read(library, defined, undefined, ElfSymbols.SectionTypeDynamicSymbols);

        Assert.Equal(SmallExports.Concat(BootSymbols).Order(StringComparer.Ordinal), defined.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "UnikraftHost_Abort", "UnikraftHost_GetPid", "UnikraftHost_Read" }, undefined.Order(StringComparer.Ordinal));
        Assert.Equal(SmallExports, NativeSlotsSource.Exports(library));
    }

    // Every name is found through the library's own hash table (DT_HASH), as the loader finds it,
    // and each export's code is one `jmp *slot(%rip)` whose slot is its own entry of the table.
    [Fact]
    public void Write_HashLookupFindsEachExport_AJumpThroughItsOwnSlot()
    {
        byte[] library = NativeSlotsElf.Write(SmallExports, Array.Empty<string>());
        long table = NativeSlotsElf.LookUp(library, NativeSlotsElf.TableSymbol);
        Assert.True(table > 0);

        for (int index = 0; index < SmallExports.Length; index++)
        {
            long stub = NativeSlotsElf.LookUp(library, SmallExports[index]);
            Assert.True(stub > 0, SmallExports[index] + " is not found through the hash table");
            // (The writer maps each segment at its own file offset.)
            Assert.Equal(new byte[] { 0xFF, 0x25 }, library.AsSpan((int)stub, 2).ToArray());
            long target = stub + 6 + BitConverter.ToInt32(library, (int)stub + 2);
            Assert.Equal(table + 8L * index, target);
        }

        foreach (string name in BootSymbols)
        {
            Assert.True(NativeSlotsElf.LookUp(library, name) > 0, name + " is not found through the hash table");
        }

        Assert.Equal(-1, NativeSlotsElf.LookUp(library, "SystemNative_Write"));
        Assert.Equal(-1, NativeSlotsElf.LookUp(library, "UnikraftHost_Read"));
        Assert.Equal(SmallExports.Length, BitConverter.ToInt32(library, (int)NativeSlotsElf.LookUp(library, NativeSlotsElf.CountSymbol)));
    }

    [Fact]
    public void Write_NamesAndHelperFlags_AreInSlotOrder()
    {
        byte[] library = NativeSlotsElf.Write(SmallExports, new[] { "SystemNative_GetPid", "SystemNative_NotExported" });
        long names = NativeSlotsElf.LookUp(library, NativeSlotsElf.NamesSymbol);
        long helpers = NativeSlotsElf.LookUp(library, NativeSlotsElf.HelpersSymbol);

        string[] written = Encoding.ASCII.GetString(library, (int)names, SmallExports.Sum(n => n.Length + 1)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SmallExports, written);
        Assert.Equal(new byte[] { 0, 1, 0 }, library.AsSpan((int)helpers, 3).ToArray());
    }

    [Fact]
    public void Write_ReadelfReadsItWithoutComplaint_AndTheStackIsNotExecutable()
    {
        string folder = Directory.CreateTempSubdirectory("unikraft-slots-").FullName;
        try
        {
            string path = Path.Combine(folder, "libSystem.Native.so");
            File.WriteAllBytes(path, NativeSlotsElf.Write(SmallExports, Array.Empty<string>()));
            var start = new ProcessStartInfo("readelf", new[] { "-W", "-a", path }) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process readelf = Process.Start(start)!;
            string output = readelf.StandardOutput.ReadToEnd();
            string errors = readelf.StandardError.ReadToEnd();
            readelf.WaitForExit();

            Assert.True(readelf.ExitCode == 0 && errors.Length == 0, errors + output);
            Assert.Contains("Type:                              DYN (Shared object file)", output);
            Assert.Contains("(NEEDED)             Shared library: [libSystem.Native.host.so]", output);
            Assert.Contains("(RUNPATH)            Library runpath: [$ORIGIN]", output);
            Assert.Matches(@"GNU_STACK\s+(0x0+\s+){5}RW\s", output);
            Assert.Matches(@"R_X86_64_64\s+0+\s+UnikraftHost_GetPid \+ 0", output);
            Assert.Equal(SmallExports.Length, output.Split('\n').Count(line => line.Contains("R_X86_64_RELATIVE", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The copy of the runtime's library: each SystemNative_ export is found (through its rebuilt
    // GNU hash table) only as UnikraftHost_, at the same address; nothing else moved.
    [Fact]
    public void RenameHostExports_FindsEachFunctionByItsNewNameOnly_AtTheSameAddress()
    {
        byte[] runtime = RuntimeLibrary();
        byte[] renamed = NativeSlotsElf.RenameHostExports(runtime);
        List<string> exports = NativeSlotsSource.Exports(runtime);
        Assert.True(exports.Count > 200, exports.Count + " exports");

        Assert.Equal(runtime.Length, renamed.Length);
        foreach (string name in exports)
        {
            long address = NativeSlotsElf.LookUp(runtime, name);
            Assert.True(address > 0, name + " is not found in the runtime's own library");
            Assert.Equal(address, NativeSlotsElf.LookUp(renamed, "UnikraftHost_" + name.Substring("SystemNative_".Length)));
            Assert.Equal(-1, NativeSlotsElf.LookUp(renamed, name));
        }

        var defined = new HashSet<string>(StringComparer.Ordinal);
        var undefined = new HashSet<string>(StringComparer.Ordinal);
        var runtimeDefined = new HashSet<string>(StringComparer.Ordinal);
        var runtimeUndefined = new HashSet<string>(StringComparer.Ordinal);
        ElfSymbols.Read(renamed, defined, undefined, ElfSymbols.SectionTypeDynamicSymbols);
        ElfSymbols.Read(runtime, runtimeDefined, runtimeUndefined, ElfSymbols.SectionTypeDynamicSymbols);
        Assert.Equal(runtimeUndefined.Order(StringComparer.Ordinal), undefined.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(defined, name => name.StartsWith("SystemNative_", StringComparison.Ordinal));
        Assert.Equal(runtimeDefined.Count, defined.Count);
    }

    // glibc's loader takes both: loading the slot library loads the renamed copy beside it and
    // fills every slot, so a call through an export reaches the runtime's function; a slot the
    // boot points at its refusal holds the refusal stub's address.
    [Fact]
    public void Loader_FillsTheSlotsFromTheRenamedCopy_ACallThroughAnExportReachesTheRuntime()
    {
        byte[] runtime = RuntimeLibrary();
        List<string> exports = NativeSlotsSource.Exports(runtime);
        string folder = Directory.CreateTempSubdirectory("unikraft-slots-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "libSystem.Native.so"), NativeSlotsElf.Write(exports, new[] { "SystemNative_GetErrNo" }));
        File.WriteAllBytes(Path.Combine(folder, NativeSlotsSource.HostLibraryName), NativeSlotsElf.RenameHostExports(runtime));

        // (The library stays loaded in the test host: its folder stays too.)
        nint library = NativeLibrary.Load(Path.Combine(folder, "libSystem.Native.so"));
        var getPid = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "SystemNative_GetPid");
        Assert.Equal(Environment.ProcessId, getPid());

        int count = *(int*)NativeLibrary.GetExport(library, NativeSlotsElf.CountSymbol);
        Assert.Equal(exports.Count, count);
        var table = (nint*)NativeLibrary.GetExport(library, NativeSlotsElf.TableSymbol);
        var refusals = (nint*)NativeLibrary.GetExport(library, NativeSlotsElf.RefusalsSymbol);
        nint runtimeLibrary = NativeLibrary.Load(Path.Combine(folder, NativeSlotsSource.HostLibraryName));
        for (int index = 0; index < count; index++)
        {
            string host = "UnikraftHost_" + exports[index].Substring("SystemNative_".Length);
            Assert.Equal(NativeLibrary.GetExport(runtimeLibrary, host), table[index]);
            Assert.NotEqual(0, refusals[index]);
        }

        // Each refusal stub starts with `lea name(%rip), %rsi`, the name of its own function.
        for (int index = 0; index < count; index += 37)
        {
            byte* stub = (byte*)refusals[index];
            Assert.Equal(new byte[] { 0x48, 0x8D, 0x35 }, new[] { stub[0], stub[1], stub[2] });
            byte* name = stub + 7 + *(int*)(stub + 3);
            Assert.Equal(exports[index], Marshal.PtrToStringUTF8((nint)name));
            Assert.Equal(exports[index].Length, *(int*)(stub + 8));
        }
    }

    [Fact]
    public void RenameHostExports_OfAFileThatIsNoSharedLibrary_SaysSo()
    {
        var notElf = Assert.Throws<InvalidDataException>(() => NativeSlotsElf.RenameHostExports(Encoding.ASCII.GetBytes(new string('x', 100))));
        Assert.Equal("not an ELF file", notElf.Message);

        byte[] slots = NativeSlotsElf.Write(SmallExports, Array.Empty<string>());
        var noGnuHash = Assert.Throws<InvalidDataException>(() => NativeSlotsElf.RenameHostExports(slots));
        Assert.Contains("GNU hash", noGnuHash.Message);
    }

    [Fact]
    public void Write_OfNoFunctionOrAForeignName_SaysSo()
    {
        Assert.Throws<ArgumentException>(() => NativeSlotsElf.Write(Array.Empty<string>(), Array.Empty<string>()));
        var foreign = Assert.Throws<ArgumentException>(() => NativeSlotsElf.Write(new[] { "open" }, Array.Empty<string>()));
        Assert.Contains("'open' is not a SystemNative_ function name", foreign.Message);
    }

    [Fact]
    public void Hashes_AreTheAbisOwn()
    {
        // Known values: the System V hash of "printf" and the GNU hash of "" and "printf".
        Assert.Equal(0x077905a6u, NativeSlotsElf.ElfHash("printf"));
        Assert.Equal(5381u, NativeSlotsElf.GnuHash(""));
        Assert.Equal(0x156b2bb8u, NativeSlotsElf.GnuHash("printf"));
    }
}
