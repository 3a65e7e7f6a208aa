using Microsoft.CodeAnalysis;

namespace Unikraft.Gen.Analyzers;

// Every diagnostic the analyzers report. Each one has a page under docs/diagnostics and a row in
// AnalyzerReleases.Unshipped.md; a test checks both.
internal static class DiagnosticDescriptors
{
    public const string Category = "Unikraft.Compatibility";

    public const string UnsupportedApiId = "UK0001";
    public const string BypassesKernelId = "UK0002";
    public const string OverloadNotRedirectedId = "UK0003";

    // The key of the diagnostic property that carries a kernel-api row's replacement member
    // ("Unikraft.Kernel.KernelClock.Now") to the code fix.
    public const string ReplacementProperty = "Replacement";

    public static readonly DiagnosticDescriptor UnsupportedApi = new(
        id: UnsupportedApiId,
        title: "API not supported by the unikernel",
        messageFormat: "'{0}' is not supported by the unikernel: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The kernel generated for this program cannot provide this API. Calling it would fail at run time or escape the kernel, so it is refused at build time.",
        helpLinkUri: HelpLinks.For(UnsupportedApiId));

    public static readonly DiagnosticDescriptor BypassesKernel = new(
        id: BypassesKernelId,
        title: "API bypasses the kernel",
        messageFormat: "'{0}' bypasses the kernel: {1}; use '{2}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Properties and constructors cannot be intercepted, so this API reaches the host directly instead of the kernel's device. A code fix rewrites it to the kernel API member.",
        helpLinkUri: HelpLinks.For(BypassesKernelId));

    public static readonly DiagnosticDescriptor OverloadNotRedirected = new(
        id: OverloadNotRedirectedId,
        title: "Overload not redirected to the kernel",
        messageFormat: "'{0}' has no kernel equivalent for this overload, so it bypasses the kernel; {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Calls to this API are redirected to the kernel only for the overloads the kernel API declares. This overload runs on the host instead.",
        helpLinkUri: HelpLinks.For(OverloadNotRedirectedId));

    public const string FileCategory = "Unikraft.FileSystems";
    public const string WriteToReadOnlyMountId = "UK0101";
    public const string PathUnderNoMountId = "UK0102";
    public const string PathNotKnownId = "UK0103";
    public const string FileCallWithNoMountId = "UK0104";

    public static readonly DiagnosticDescriptor WriteToReadOnlyMount = new(
        id: WriteToReadOnlyMountId,
        title: "Write to a read-only mount",
        messageFormat: "'{0}' changes '{1}', which is under the read-only mount {2}; it would fail with EROFS",
        category: FileCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The path is under a mount the project declares ReadOnly=\"true\", so writing, creating or deleting there fails at run time.",
        helpLinkUri: HelpLinks.For(WriteToReadOnlyMountId));

    public static readonly DiagnosticDescriptor PathUnderNoMount = new(
        id: PathUnderNoMountId,
        title: "Path under no mount",
        messageFormat: "'{0}' uses '{1}', which is under no mount ({2}); add <UnikraftMount Include=\"{3}\" Type=\"ramfs\" /> or use a path under a mount",
        category: FileCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The kernel's file systems are the project's <UnikraftMount> items; a path outside all of them has no file system to live on.",
        helpLinkUri: HelpLinks.For(PathUnderNoMountId));

    public static readonly DiagnosticDescriptor PathNotKnown = new(
        id: PathNotKnownId,
        title: "Path not known at compile time",
        messageFormat: "'{0}': its path is not known at compile time, so the kernel keeps every mount it could reach",
        category: FileCategory,
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "The generator picks the mounts a program needs from the constant paths of its file calls. A computed path could reach any mount, so all of them stay in the kernel; the manifest says so with this call site.",
        helpLinkUri: HelpLinks.For(PathNotKnownId));

    public static readonly DiagnosticDescriptor FileCallWithNoMount = new(
        id: FileCallWithNoMountId,
        title: "File call in a project that mounts no file system",
        messageFormat: "'{0}' needs a file system, but the project mounts none, so it fails with ENOENT; add <UnikraftMount Include=\"/\" Type=\"ramfs\" /> (or a hostfs or initrd for files that come with the program)",
        category: FileCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The kernel's file systems are the project's <UnikraftMount> items. With none, every file call fails at run time; a constant path is UK0102, a computed one this warning.",
        helpLinkUri: HelpLinks.For(FileCallWithNoMountId));

    public const string SimCategory = "Unikraft.Determinism";
    public const string NondeterministicId = "UK0201";

    public static readonly DiagnosticDescriptor Nondeterministic = new(
        id: NondeterministicId,
        title: "API breaks determinism under simulation",
        messageFormat: "'{0}' makes a sim run depend on the host, so a seed no longer replays it: {1}",
        category: SimCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "In a build for the sim platform, one seed must replay one run exactly. This API reads the host's clock, randomness, threads or network instead of the simulation's.",
        helpLinkUri: HelpLinks.For(NondeterministicId));

    public const string MethodGroupNotRedirectedId = "UK0004";

    public static readonly DiagnosticDescriptor MethodGroupNotRedirected = new(
        id: MethodGroupNotRedirectedId,
        title: "Method group not redirected to the kernel",
        messageFormat: "'{0}' used as a method group is not redirected to the kernel (only calls are), so it reaches the host; call it in a lambda",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Interceptors replace calls at their call sites. A method group turned into a delegate is called later, from wherever the delegate goes, and reaches the BCL directly. A lambda that calls the method is a call site, and is redirected.",
        helpLinkUri: HelpLinks.For(MethodGroupNotRedirectedId));

    public const string ReferencedAssemblyId = "UK0301";

    public static readonly DiagnosticDescriptor ReferencedAssemblyUsesUnsupportedApi = new(
        id: ReferencedAssemblyId,
        title: "A referenced assembly uses what the kernel cannot provide",
        messageFormat: "Referenced assembly '{0}' uses {1}{2}, which {3}: {4}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Interceptors and analyzers see only the program's own source. A package or project the program references is compiled already: its calls reach the BCL directly, and its P/Invokes and unmanaged function pointers reach native code on the host. At run time that escapes the kernel, so it is an error unless the kernel boundary serves it (the native layer in a NativeAOT image on hosted). This reads each non-framework reference's metadata, and the methods that make the calls when the build has read them from the assembly's IL.",
        helpLinkUri: HelpLinks.For(ReferencedAssemblyId),
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor[] All =
    {
        UnsupportedApi, BypassesKernel, OverloadNotRedirected, WriteToReadOnlyMount, PathUnderNoMount, PathNotKnown, FileCallWithNoMount, Nondeterministic,
        ReferencedAssemblyUsesUnsupportedApi, MethodGroupNotRedirected,
    };
}

internal static class HelpLinks
{
    public const string DocsRoot = "https://github.com/unikraft-gen/Unikraft.Gen/blob/main/docs/diagnostics/";

    public static string For(string id) => DocsRoot + id + ".md";
}
