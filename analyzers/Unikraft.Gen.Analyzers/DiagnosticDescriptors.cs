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

    public static readonly DiagnosticDescriptor[] All = { UnsupportedApi, BypassesKernel, OverloadNotRedirected };
}

internal static class HelpLinks
{
    public const string DocsRoot = "https://github.com/unikraft-gen/Unikraft.Gen/blob/main/docs/diagnostics/";

    public static string For(string id) => DocsRoot + id + ".md";
}
