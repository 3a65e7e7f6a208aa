namespace Unikraft.Gen.EndToEnd.Tests;

using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

// samples/Hello published with NativeAOT as a user would (HelloAotPublish, shared with OciImageTests).
[Collection(HelloAotPublish.Collection)]
public sealed class HelloPublishAotTests
{
    private readonly HelloAotPublish publish;
    private readonly ITestOutputHelper output;

    public HelloPublishAotTests(HelloAotPublish publish, ITestOutputHelper output)
    {
        this.publish = publish;
        this.output = output;
    }

    [Fact]
    public void Hello_PublishAot_NativeBinaryPrintsGreeting()
    {
        CommandResult run = publish.RunPublished();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("Hello, world!\n", run.StandardOutput);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for Hello", run.StandardError, System.StringComparison.Ordinal);
        long size = new FileInfo(Path.Combine(publish.PublishPath, "Hello")).Length;
        output.WriteLine("Native Hello: " + size + " bytes (" + (size / 1024) + " KiB); publish took " +
            publish.Result!.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s.");
    }

    // Hello uses no runtime feature: the manifest switches each off with its reason, the NativeAOT
    // compiler gets the switches, and the image carries neither ICU nor System.Console (the
    // kernel's console writes through one native call).
    [Fact]
    public void Hello_PublishAot_RuntimeFeaturesOff_GlobalizationAndStackTraces()
    {
        string[] manifest = File.ReadAllLines(publish.OutputFile("Hello.kernel.txt"));
        Assert.Contains("  globalization  off  InvariantGlobalization=true  (System.Globalization.Invariant)", manifest);
        Assert.Contains("  resource-messages  off  UseSystemResourceKeys=true  (System.Resources.UseSystemResourceKeys)", manifest);
        Assert.Contains("  stack-traces  off  StackTraceSupport=false  (System.Diagnostics.StackTrace.IsSupported)", manifest);
        Assert.Contains("  debugger  off  DebuggerSupport=false  (System.Diagnostics.Debugger.IsSupported)", manifest);

        string rsp = File.ReadAllText(publish.IntermediateFile("Hello.ilc.rsp"));
        Assert.Contains("--feature:System.Globalization.Invariant=true", rsp, System.StringComparison.Ordinal);
        Assert.Contains("--feature:System.Resources.UseSystemResourceKeys=true", rsp, System.StringComparison.Ordinal);
        Assert.DoesNotContain("--stacktracedata", rsp, System.StringComparison.Ordinal);

        string binary = Path.Combine(publish.PublishPath, "Hello");
        Assert.False(RuntimeSpecializationPublishAotTests.Contains(binary, "libicuuc"), "Hello's image still loads ICU");
        Assert.False(RuntimeSpecializationPublishAotTests.Contains(binary, "System.ConsolePal"), "Hello's image still carries System.Console");
    }

    // The plan learns the link's import list: the image defines a __wrap_ entry point exactly for
    // each SystemNative function it imports and the kernel serves (mmap and the random bytes; none
    // of the file functions: the VFS, the ramfs and their syscalls are gone), and the manifest
    // says, for each served import, what of the kernel it needs.
    [Fact]
    public void Hello_PublishAot_WrapsOnlyTheFunctionsItImports_AndTheManifestSaysWhatEachNeeds()
    {
        string report = File.ReadAllText(publish.IntermediateFile("Hello.native.txt"));
        Assert.DoesNotContain("imported by nothing", report, System.StringComparison.Ordinal);
        var served = Regex.Matches(report, "^  served  (\\S+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("SystemNative_MMap", served);
        Assert.Contains("SystemNative_GetNonCryptographicallySecureRandomBytes", served);

        CommandResult nm = Command.Run("nm", new[] { "--defined-only", Path.Combine(publish.PublishPath, "Hello.dbg") }, publish.Folder, System.TimeSpan.FromMinutes(1));
        Assert.True(nm.ExitCode == 0, nm.Describe());
        var wrapped = Regex.Matches(nm.StandardOutput, " [Tt] __wrap_(SystemNative_\\w+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.True(wrapped.SetEquals(served), "Entry points in the image: " + string.Join(", ", wrapped.Order()) + "; imports served: " + string.Join(", ", served.Order()));
        Assert.DoesNotContain("SystemNative_Open", wrapped);
        Assert.DoesNotContain("SystemNative_Stat", wrapped);

        // The list the plan was made from: the imports that are not reviewed helpers.
        string[] imports = File.ReadAllLines(publish.IntermediateFile("native-imports.txt"));
        Assert.Equal(served.Order(), imports);
        KernelManifest manifest = KernelManifest.Load(publish.OutputFile("Hello.kernel.txt"));
        Assert.DoesNotContain("vfs", manifest.Libraries);
        Assert.DoesNotContain("ramfs", manifest.Libraries);
        Assert.DoesNotContain("newfstatat", manifest.ImplementedSyscalls);
        Assert.Contains("\nNative layer (the functions the NativeAOT link imports that the kernel serves; the link's import list names ", manifest.Text, System.StringComparison.Ordinal);
        foreach (string function in served)
        {
            Assert.Matches("(?m)^  " + function + "  needs .*library native", manifest.Text);
        }
        Assert.Matches("(?m)^  random  .*\n      native layer: SystemNative_GetNonCryptographicallySecureRandomBytes$", manifest.Text);
        output.WriteLine("Served imports: " + string.Join(", ", served.Order()));
    }

    // The NativeAOT compiler's own list of what the image holds (the mstat file) against the
    // manifest: no type of a kernel library the manifest leaves out is in the binary, each library
    // it keeps has types there, and System.Console is not there at all.
    [Fact]
    public void Hello_PublishAot_Mstat_HoldsNoTypeOfALibraryTheManifestLeavesOut()
    {
        KernelManifest manifest = KernelManifest.Load(publish.OutputFile("Hello.kernel.txt"));
        MstatFile mstat = MstatFile.Load(publish.IntermediateFile("Hello.mstat"));
        IReadOnlySet<string> inImage = mstat.TypesOf("Hello");
        Assert.Contains("Unikraft.Kernel.Kernel", inImage);

        Dictionary<string, SortedSet<string>> typesByLibrary = KernelLibraryTypes();
        Assert.True(typesByLibrary.Count >= 10, "Found only these kernel libraries: " + string.Join(", ", typesByLibrary.Keys));
        // The app-facing API (kernel/Api) is not one of the kernel's libraries in the manifest: its
        // types are there as far as the program calls them, which the pruning test covers.
        typesByLibrary.Remove("api");
        var leftOut = typesByLibrary.Keys.Where(library => !manifest.Libraries.Contains(library)).ToList();
        Assert.Contains("hostfs", leftOut);
        Assert.Contains("platform-sim", leftOut);
        // A partial type declared in several libraries (Sys, which holds every library's syscalls)
        // belongs to none of them alone: the check is on the types one library declares by itself.
        var shared = typesByLibrary.Values.SelectMany(types => types).GroupBy(type => type).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        Assert.Contains("Unikraft.Kernel.Sys", shared);
        foreach ((string library, SortedSet<string> declared) in typesByLibrary)
        {
            var types = declared.Where(type => !shared.Contains(type)).ToList();
            var present = types.Where(inImage.Contains).ToList();
            if (types.Count == 0)
            {
                continue;
            }
            if (manifest.Libraries.Contains(library))
            {
                Assert.True(present.Count > 0, "The manifest keeps library " + library + ", but none of its types (" + string.Join(", ", types) + ") is in the image");
            }
            else
            {
                Assert.True(present.Count == 0, "The manifest leaves library " + library + " out, but the image holds " + string.Join(", ", present));
            }
        }
        Assert.DoesNotContain("System.Console", mstat.Assemblies);
        output.WriteLine("Kernel libraries in the image: " + string.Join(", ", manifest.Libraries) + "; left out: " + string.Join(", ", leftOut));
    }

    // Each kernel library (a folder of kernel/ with a Library.cs naming it) and the full names of
    // the types its files declare, nested types as Outer+Inner.
    private static Dictionary<string, SortedSet<string>> KernelLibraryTypes()
    {
        var result = new Dictionary<string, SortedSet<string>>(System.StringComparer.Ordinal);
        string kernel = Path.Combine(Repository.Root, "kernel");
        foreach (string library in Directory.GetFiles(kernel, "Library.cs", SearchOption.AllDirectories))
        {
            Match name = Regex.Match(File.ReadAllText(library), "KernelLibrary\\(\"([^\"]+)\"");
            Assert.True(name.Success, "No KernelLibrary attribute in " + library);
            var types = new SortedSet<string>(System.StringComparer.Ordinal);
            foreach (string file in Directory.GetFiles(Path.GetDirectoryName(library)!, "*.cs"))
            {
                foreach (string type in DeclaredTypes(File.ReadAllText(file)))
                {
                    types.Add("Unikraft.Kernel." + type);
                }
            }
            result.Add(name.Groups[1].Value, types);
        }
        return result;
    }

    // The types a kernel file declares, by brace depth: a type declared inside another is nested.
    private static IEnumerable<string> DeclaredTypes(string text)
    {
        var open = new Stack<(string Name, int Depth)>();
        int depth = 0;
        var declaration = new Regex("\\G(?:(?:public|internal|private|protected|static|sealed|abstract|readonly|ref|partial|unsafe|file)\\s+)*(?:class|struct|interface|enum|record(?:\\s+struct|\\s+class)?)\\s+(\\w+)");
        string? pending = null;
        for (int index = 0; index < text.Length; index++)
        {
            char c = text[index];
            if (c == '/' && index + 1 < text.Length && text[index + 1] == '/')
            {
                index = text.IndexOf('\n', index);
                if (index < 0)
                {
                    break;
                }
                continue;
            }
            if (c == '"')
            {
                index = text.IndexOf('"', index + 1);
                if (index < 0)
                {
                    break;
                }
                continue;
            }
            if ((index == 0 || !char.IsLetterOrDigit(text[index - 1])) && declaration.Match(text, index) is { Success: true } match)
            {
                pending = match.Groups[1].Value;
                index += match.Length - 1;
                // A generic type's metadata name carries its arity: Pool<T> is Pool`1.
                if (index + 1 < text.Length && text[index + 1] == '<')
                {
                    int close = text.IndexOf('>', index);
                    pending += "`" + (text.Substring(index + 1, close - index).Count(ch => ch == ',') + 1);
                }
                continue;
            }
            if (c == ';' && pending is not null)
            {
                // A positional record with no body.
                yield return open.Count > 0 ? open.Peek().Name + "+" + pending : pending;
                pending = null;
            }
            if (c == '{')
            {
                depth++;
                if (pending is not null)
                {
                    string full = open.Count > 0 ? open.Peek().Name + "+" + pending : pending;
                    open.Push((full, depth));
                    yield return full;
                    pending = null;
                }
            }
            else if (c == '}')
            {
                if (open.Count > 0 && open.Peek().Depth == depth)
                {
                    open.Pop();
                }
                depth--;
            }
        }
    }
}
