namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Unikraft.Kernel;
using Xunit;

// The JIT route's table (kernel/Native/NativeSlots.cs) must point every function the kernel serves
// at its own entry point: one it forgot would stay sealed under dotnet run and stop the program,
// though the NativeAOT link serves it.
public sealed class NativeSlotsTests
{
    private static readonly string Table = File.ReadAllText(Path.Combine(RepositoryRoot(), "kernel", "Native", "NativeSlots.cs"));

    private static string RepositoryRoot()
    {
        DirectoryInfo? directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory != null && !File.Exists(Path.Combine(directory.FullName, "Unikraft.Gen.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("No Unikraft.Gen.sln above " + AppContext.BaseDirectory);
    }

    private static MethodInfo[] EntryPoints() =>
        typeof(Kernel).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(method => method.GetCustomAttribute<UnmanagedCallersOnlyAttribute>()?.EntryPoint?.StartsWith("__wrap_SystemNative_", StringComparison.Ordinal) == true)
            .ToArray();

    [Fact]
    public void EveryEntryPoint_IsPointedAtByItsOwnFunction()
    {
        MethodInfo[] entries = EntryPoints();
        Assert.True(entries.Length >= 40, "only " + entries.Length + " native entry points found");
        foreach (MethodInfo entry in entries)
        {
            string function = entry.GetCustomAttribute<UnmanagedCallersOnlyAttribute>()!.EntryPoint!.Substring("__wrap_".Length);
            string line = Table.Split('\n').SingleOrDefault(l => l.Contains("slots.Point(\"" + function + "\",", StringComparison.Ordinal)) ?? "";
            Assert.True(line.EndsWith("&" + entry.DeclaringType!.Name + "." + entry.Name + ");", StringComparison.Ordinal),
                function + " is served by " + entry.DeclaringType.Name + "." + entry.Name + " but NativeSlots points it at: " + (line.Length == 0 ? "nothing" : line.Trim()));
        }
        Assert.Equal(entries.Length, Table.Split('\n').Count(l => l.Contains("slots.Point(\"", StringComparison.Ordinal)));
    }

    // Outside a program built for the route (here, the test host) there is no slot library: the
    // boot step finds none and changes nothing, and the BCL keeps working on the host.
    [Fact]
    public void WithoutTheSlotLibrary_AttachFindsNone()
    {
        Kernel kernel = new Kernel(new TestPlatform());

        Assert.Equal(-1, NativeSlots.Attach(kernel));
    }
}
