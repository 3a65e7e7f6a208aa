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

    public const string NetCategory = "Unikraft.Network";
    public const string AddressWithNoInterfaceId = "UK0501";
    public const string AddressNotKnownWithNoInterfaceId = "UK0502";
    public const string PortNotForwardedId = "UK0503";
    public const string NameLookupWithNoServerId = "UK0504";

    private const string AddInterface = "add <UnikraftNet Include=\"eth0\" Type=\"passt\" Address=\"10.0.2.15/24\" Gateway=\"10.0.2.2\" /> (or Type=\"tap\")";

    public static readonly DiagnosticDescriptor AddressWithNoInterface = new(
        id: AddressWithNoInterfaceId,
        title: "Network address in a project with no network interface",
        messageFormat: "'{0}' {1}, but the project declares no network interface, so only the kernel's loopback (127.0.0.0/8) is there; " + AddInterface,
        category: NetCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The kernel's network interfaces are the project's <UnikraftNet> items. With none, sockets still work over the kernel's loopback, so a program can talk to itself, but nothing outside the program can reach it and it can reach nothing: a connection to another address fails with ENETUNREACH, and a listener on every address hears only the program itself.",
        helpLinkUri: HelpLinks.For(AddressWithNoInterfaceId));

    public static readonly DiagnosticDescriptor AddressNotKnownWithNoInterface = new(
        id: AddressNotKnownWithNoInterfaceId,
        title: "Network address not known at compile time, in a project with no network interface",
        messageFormat: "'{0}' uses an address computed at run time, and the project declares no network interface: only loopback addresses (127.0.0.0/8, localhost) will work; to reach other hosts, " + AddInterface,
        category: NetCategory,
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "With no <UnikraftNet> item the kernel has only its loopback. A computed address may be a loopback address, so this is only information; a constant one that is not is UK0501.",
        helpLinkUri: HelpLinks.For(AddressNotKnownWithNoInterfaceId));

    public static readonly DiagnosticDescriptor PortNotForwarded = new(
        id: PortNotForwardedId,
        title: "Listening port that the host cannot reach",
        messageFormat: "'{0}' listens on port {1}, but every network interface is passt and none forwards it (Forward: {2}), so nothing outside the program can connect; add {1} to Forward of <UnikraftNet Include=\"{3}\">",
        category: NetCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "passt connects the kernel to the host's network without root: the program's outgoing connections go out through the host, and connections and datagrams to the host's loopback reach the program only on the ports listed in the interface's Forward setting (8080 for TCP, 4009/udp for UDP).",
        helpLinkUri: HelpLinks.For(PortNotForwardedId));

    public static readonly DiagnosticDescriptor NameLookupWithNoServer = new(
        id: NameLookupWithNoServerId,
        title: "Name lookup with no name server",
        messageFormat: "'{0}' looks up {1}, but no network interface lists a name server, so only localhost and the image's /etc/hosts answer; add Dns=\"...\" to a <UnikraftNet> item",
        category: NetCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The kernel resolves names itself: localhost and the addresses in the image's /etc/hosts first, then the name servers of the <UnikraftNet> items' Dns settings, over its own UDP. With no server, any other name fails as a name that does not exist (SocketError.HostNotFound).",
        helpLinkUri: HelpLinks.For(NameLookupWithNoServerId));

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
        ReferencedAssemblyUsesUnsupportedApi, MethodGroupNotRedirected, AddressWithNoInterface, AddressNotKnownWithNoInterface, PortNotForwarded,
        NameLookupWithNoServer,
    };
}

internal static class HelpLinks
{
    public const string DocsRoot = "https://github.com/unikraft-gen/Unikraft.Gen/blob/main/docs/diagnostics/";

    public static string For(string id) => DocsRoot + id + ".md";
}
