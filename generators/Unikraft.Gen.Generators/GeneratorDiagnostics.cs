using Microsoft.CodeAnalysis;

namespace Unikraft.Gen
{
    // The generator reports only what stops it emitting a kernel; everything else is an analyzer's.
    internal static class GeneratorDiagnostics
    {
        private const string Category = "Unikraft.Generator";

        private static string HelpLink(string id) => "https://github.com/unikraft-gen/Unikraft.Gen/blob/main/docs/diagnostics/" + id + ".md";

        public static readonly DiagnosticDescriptor BadConfiguration = new DiagnosticDescriptor(
            "UKG0001", "Bad kernel configuration", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpLink("UKG0001"));

        public static readonly DiagnosticDescriptor NoEntryPoint = new DiagnosticDescriptor(
            "UKG0002", "No single entry point for the kernel to run", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpLink("UKG0002"));

        public static readonly DiagnosticDescriptor UnreachableMain = new DiagnosticDescriptor(
            "UKG0003", "Main cannot be called by the kernel", "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpLink("UKG0003"));

        public static readonly DiagnosticDescriptor BrokenImage = new DiagnosticDescriptor(
            "UKG0004", "The generator's kernel image is broken", "The generator cannot emit the kernel: {0}", Category, DiagnosticSeverity.Error,
            isEnabledByDefault: true, helpLinkUri: HelpLink("UKG0004"));

        public static DiagnosticDescriptor For(string id) => id switch
        {
            "UKG0001" => BadConfiguration,
            "UKG0002" => NoEntryPoint,
            "UKG0003" => UnreachableMain,
            _ => BrokenImage,
        };
    }
}
