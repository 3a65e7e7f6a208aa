using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection.Metadata;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Model;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Runtime: the .NET runtime specialized as the kernel is. A NativeAOT image carries runtime
        // features behind feature switches (the trimming options documented for .NET: culture data,
        // exception messages, stack-trace data, EventSource, metrics, the debugger, time zones).
        // In a NativeAOT publish, each one the program provably does not use is switched off, and
        // the manifest says why; a switch the project sets itself is left as it is.
        //
        // "Uses" is decided on names, not on behaviour: the program's source and the compiled
        // libraries it references (their type and member references) are searched for the APIs
        // that reach each feature. What the BCL does on its own with a feature stays out of that
        // search, and the reasons in the manifest say what turning a feature off changes (the
        // current culture is the invariant one; an unhandled exception is reported by resource key
        // and without frames).
        //
        // A generator cannot set MSBuild properties: the decisions travel in the manifest's
        // "Runtime features" section, which UnikraftSpecializeRuntime (Unikraft.Gen.targets) reads
        // after the compile and turns into the switches the NativeAOT compiler reads.
        internal static class Runtime
        {
            // The runtime features, in the manifest's order.
            internal static readonly RuntimeSwitch[] Switches =
            {
                new RuntimeSwitch("globalization", "InvariantGlobalization", "System.Globalization.Invariant", "true",
                    "culture data and ICU: the current culture is the invariant one (numbers and dates format as 1,234.5 and 12/31/2025 whatever LANG says), culture comparisons are ordinal"),
                new RuntimeSwitch("resource-messages", "UseSystemResourceKeys", "System.Resources.UseSystemResourceKeys", "true",
                    "the BCL's message texts: an exception's Message is its resource key (Arg_NullReferenceException)"),
                new RuntimeSwitch("stack-traces", "StackTraceSupport", "System.Diagnostics.StackTrace.IsSupported", "false",
                    "method names for stack traces: an exception's StackTrace and an unhandled exception's report have no frames"),
                new RuntimeSwitch("event-source", "EventSourceSupport", "System.Diagnostics.Tracing.EventSource.IsSupported", "false",
                    "EventSource and EventPipe tracing"),
                new RuntimeSwitch("metrics", "MetricsSupport", "System.Diagnostics.Metrics.Meter.IsSupported", "false",
                    "System.Diagnostics.Metrics instruments"),
                new RuntimeSwitch("debugger", "DebuggerSupport", "System.Diagnostics.Debugger.IsSupported", "false",
                    "managed debugger support"),
                new RuntimeSwitch("time-zones", "InvariantTimezone", "System.TimeZoneInfo.Invariant", "true",
                    "time-zone data: local time is UTC"),
            };

            // The MSBuild side: a NativeAOT publish or not, specialization on or off, and what the
            // project sets itself.
            public static RuntimeConfig ReadConfig(AnalyzerConfigOptionsProvider provider, CancellationToken cancellationToken)
            {
                AnalyzerConfigOptions options = provider.GlobalOptions;
                string Get(string name) => options.TryGetValue("build_property." + name, out string? value) ? value.Trim() : "";

                // "InvariantGlobalization=false,UseSystemResourceKeys=,...": an empty value is a
                // switch the project leaves alone.
                var set = new List<string>();
                foreach (string pair in Get("UnikraftProjectRuntimeSwitches").Split(','))
                {
                    int equals = pair.IndexOf('=');
                    if (equals > 0 && equals < pair.Length - 1 && Switches.Any(s => s.Property == pair.Substring(0, equals).Trim()))
                    {
                        set.Add(pair.Substring(0, equals).Trim() + "=" + pair.Substring(equals + 1).Trim());
                    }
                }

                return new RuntimeConfig(
                    string.Equals(Get("PublishAot"), "true", StringComparison.OrdinalIgnoreCase),
                    !string.Equals(Get("UnikraftSpecialize"), "false", StringComparison.OrdinalIgnoreCase),
                    Get("MSBuildProjectDirectory"),
                    new EquatableArray<string>(set));
            }

            public static RuntimeFeatures Decide((Compilation Compilation, RuntimeConfig Config) input, CancellationToken cancellationToken)
            {
                RuntimeConfig config = input.Config;
                if (!config.PublishAot)
                {
                    return RuntimeFeatures.NotPublishingAot;
                }

                var uses = new Dictionary<string, SortedSet<(string File, int Line, string Text)>>(StringComparer.Ordinal);
                void Add(string feature, string file, int line, string text)
                {
                    if (!uses.TryGetValue(feature, out SortedSet<(string, int, string)>? set))
                    {
                        set = new SortedSet<(string, int, string)>();
                        uses.Add(feature, set);
                    }

                    set.Add((file, line, text));
                }

                if (config.Specialize)
                {
                    foreach (SyntaxTree tree in input.Compilation.SyntaxTrees)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (!Detect.IsOwnOutput(tree))
                        {
                            SearchSource(input.Compilation, tree, config.ProjectDirectory, Add, cancellationToken);
                        }
                    }

                    foreach (IAssemblySymbol assembly in input.Compilation.SourceModule.ReferencedAssemblySymbols)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (!Libraries.IsFramework(input.Compilation, assembly)
                            && input.Compilation.GetMetadataReference(assembly) is PortableExecutableReference reference)
                        {
                            SearchLibrary(reference, assembly.Identity.Name, Add);
                        }
                    }
                }

                var set = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string setting in config.ProjectSettings)
                {
                    int equals = setting.IndexOf('=');
                    set[setting.Substring(0, equals)] = setting.Substring(equals + 1);
                }

                var features = new List<RuntimeFeature>();
                foreach (RuntimeSwitch feature in Switches)
                {
                    var reasons = new List<Reason>();
                    if (uses.TryGetValue(feature.Name, out SortedSet<(string File, int Line, string Text)>? found))
                    {
                        foreach ((string file, int line, string text) in found)
                        {
                            reasons.Add(new Reason(text, file, line));
                        }
                    }

                    RuntimeChoice choice = set.TryGetValue(feature.Property, out string? value) ? RuntimeChoice.SetInProject
                        : !config.Specialize ? RuntimeChoice.NotSpecialized
                        : reasons.Count > 0 ? RuntimeChoice.Kept
                        : RuntimeChoice.Off;
                    features.Add(new RuntimeFeature(feature.Name, choice, value ?? "", new EquatableArray<Reason>(reasons)));
                }

                return new RuntimeFeatures(true, new EquatableArray<RuntimeFeature>(features));
            }

            // The program's own source: the names that reach a feature, bound to be sure of them.
            private static void SearchSource(Compilation compilation, SyntaxTree tree, string projectDirectory, Action<string, string, int, string> add, CancellationToken cancellationToken)
            {
                SyntaxNode root = tree.GetRoot(cancellationToken);

                // The names an exception object goes by in this tree: catch variables, and the
                // parameters and locals declared with an exception type.
                var exceptionNames = new HashSet<string>(StringComparer.Ordinal);
                foreach (SyntaxNode node in root.DescendantNodes())
                {
                    switch (node)
                    {
                        case CatchDeclarationSyntax { Identifier.ValueText: { Length: > 0 } name }:
                            exceptionNames.Add(name);
                            break;
                        case ParameterSyntax { Type: { } type } parameter when type.ToString().EndsWith("Exception", StringComparison.Ordinal):
                            exceptionNames.Add(parameter.Identifier.ValueText);
                            break;
                        case VariableDeclarationSyntax declaration when declaration.Type.IsVar || declaration.Type.ToString().EndsWith("Exception", StringComparison.Ordinal):
                            foreach (VariableDeclaratorSyntax variable in declaration.Variables)
                            {
                                exceptionNames.Add(variable.Identifier.ValueText);
                            }

                            break;
                    }
                }

                SemanticModel? model = null;
                foreach (SyntaxNode node in root.DescendantNodes())
                {
                    if (node is not SimpleNameSyntax name || node.Ancestors().Any(a => a is UsingDirectiveSyntax))
                    {
                        continue;
                    }

                    string text = name.Identifier.ValueText;
                    bool watched = WatchedNames.Contains(text);
                    if (!watched && !exceptionNames.Contains(text))
                    {
                        continue;
                    }

                    model ??= compilation.GetSemanticModel(tree);
                    ISymbol? symbol = model.GetSymbolInfo(name, cancellationToken).Symbol;
                    if (symbol is null)
                    {
                        continue;
                    }

                    FileLinePositionSpan span = name.GetLocation().GetLineSpan();
                    string file = Plan.Relative(tree.FilePath, projectDirectory);
                    int line = span.StartLinePosition.Line + 1;
                    string shown = Shown(name);
                    foreach (string feature in FeaturesOf(symbol, name))
                    {
                        add(feature, file, line, shown);
                    }
                }
            }

            // The names worth binding: each can name an API of a feature.
            private static readonly HashSet<string> WatchedNames = new HashSet<string>(StringComparer.Ordinal)
            {
                // Globalization.
                "CultureInfo", "RegionInfo", "CompareInfo", "TextInfo", "NumberFormatInfo", "DateTimeFormatInfo", "Calendar",
                "CompareOptions", "IdnMapping", "SortKey", "CurrentCulture", "CurrentCultureIgnoreCase", "InvariantCulture",
                "InvariantCultureIgnoreCase", "CurrentUICulture", "GetCultureInfo", "GetCultures",
                // Exception text.
                "Message", "StackTrace", "StackFrame", "InnerException", "InnerExceptions", "GetBaseException", "Exception", "ExceptionObject",
                // Tracing, metrics, the debugger.
                "EventSource", "EventListener", "EventCounter", "PollingCounter", "IncrementingEventCounter", "IncrementingPollingCounter",
                "Meter", "MeterListener", "IMeterFactory", "Counter", "UpDownCounter", "Histogram", "Gauge",
                "ObservableCounter", "ObservableUpDownCounter", "ObservableGauge",
                "Debugger",
                // Time zones.
                "TimeZoneInfo", "TimeZone", "Now", "Today", "ToLocalTime", "LocalDateTime",
            };

            // The invariant members, which invariant globalization keeps as they are.
            private static readonly HashSet<string> InvariantMembers = new HashSet<string>(StringComparer.Ordinal)
            {
                "InvariantCulture", "InvariantInfo",
            };

            private static IEnumerable<string> FeaturesOf(ISymbol symbol, SimpleNameSyntax name)
            {
                INamedTypeSymbol? type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
                string typeNamespace = type?.ContainingNamespace?.ToDisplayString() ?? "";
                string typeName = type?.Name ?? "";

                if (typeNamespace == "System.Globalization")
                {
                    // CultureInfo.InvariantCulture (the type named on the left of an invariant
                    // member, or the member itself) is the one culture invariant mode keeps.
                    SyntaxNode typeNode = name.Parent is MemberAccessExpressionSyntax qualified && qualified.Name == name ? qualified : name;
                    bool invariant = symbol is INamedTypeSymbol
                        ? typeNode.Parent is MemberAccessExpressionSyntax access && access.Expression == typeNode && InvariantMembers.Contains(access.Name.Identifier.ValueText)
                        : InvariantMembers.Contains(symbol.Name);
                    if (!invariant)
                    {
                        yield return "globalization";
                    }
                }
                else if (typeNamespace == "System" && typeName == "StringComparison" && symbol.Name.Contains("Culture"))
                {
                    yield return "globalization";
                }
                else if (typeNamespace == "System.Diagnostics.Tracing")
                {
                    yield return "event-source";
                }
                else if (typeNamespace == "System.Diagnostics.Metrics")
                {
                    yield return "metrics";
                }
                else if (typeNamespace == "System.Diagnostics" && typeName == "Debugger")
                {
                    yield return "debugger";
                }
                else if (typeNamespace == "System.Diagnostics" && (typeName == "StackTrace" || typeName == "StackFrame"))
                {
                    yield return "stack-traces";
                }
                else if (typeNamespace == "System" && (typeName == "TimeZoneInfo" || typeName == "TimeZone"
                    || ((typeName == "DateTime" || typeName == "DateTimeOffset") && symbol.Name is "Now" or "Today" or "ToLocalTime" or "LocalDateTime")))
                {
                    yield return "time-zones";
                }
                else if (typeNamespace == "System" && typeName == "Environment" && symbol.Name == "StackTrace")
                {
                    yield return "stack-traces";
                }

                // Exception text: a member of an exception that reads it, or an exception object
                // used as a value (printed, formatted, passed on), which can reach all of it.
                if (symbol is IPropertySymbol or IMethodSymbol && IsException(symbol.ContainingType))
                {
                    if (symbol.Name == "Message")
                    {
                        yield return "resource-messages";
                        yield break;
                    }

                    if (symbol.Name == "StackTrace")
                    {
                        yield return "stack-traces";
                        yield break;
                    }
                }

                ITypeSymbol? valueType = symbol switch
                {
                    ILocalSymbol local => local.Type,
                    IParameterSymbol parameter => parameter.Type,
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    IMethodSymbol { MethodKind: MethodKind.Ordinary } method => method.ReturnType,
                    _ => null,
                };
                if (valueType is not null && (IsException(valueType) || valueType.SpecialType == SpecialType.System_Object && symbol.Name == "ExceptionObject")
                    && !OnlyRethrownOrTested(name))
                {
                    yield return "resource-messages";
                    yield return "stack-traces";
                }
            }

            // 'throw e', 'e is X', 'e.GetType()', or 'e.Message' (which the member itself answers)
            // do not read an exception's whole text.
            private static bool OnlyRethrownOrTested(SimpleNameSyntax name)
            {
                SyntaxNode expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
                switch (expression.Parent)
                {
                    case ThrowStatementSyntax:
                    case ThrowExpressionSyntax:
                    case IsPatternExpressionSyntax:
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.IsExpression }:
                        return true;
                    case MemberAccessExpressionSyntax member when member.Expression == expression:
                        return member.Name.Identifier.ValueText is "GetType" or "HResult" or "Message" or "StackTrace";
                    default:
                        return false;
                }
            }

            private static bool IsException(ITypeSymbol? type)
            {
                for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
                {
                    if (current.Name == "Exception" && current.ContainingNamespace?.ToDisplayString() == "System")
                    {
                        return true;
                    }
                }

                return false;
            }

            private static string Shown(SimpleNameSyntax name)
            {
                SyntaxNode node = name.Parent is MemberAccessExpressionSyntax access && (access.Name == name || access.Expression == name) ? access : name;
                if (node.Parent is InvocationExpressionSyntax invocation && invocation.Expression == node)
                {
                    node = invocation;
                }
                else if (node.Parent is ObjectCreationExpressionSyntax creation)
                {
                    node = creation;
                }

                string text = string.Join(" ", node.ToString().Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
                return text.Length > 80 ? text.Substring(0, 77) + "..." : text;
            }

            // A compiled library the program references: its type and member references, read from
            // its metadata. An enum value or a virtual call (Exception.ToString through object) is
            // not visible there, so the search is wider than the program's own: a library that
            // names a comparison or calls ToString keeps what those can reach.
            private static void SearchLibrary(PortableExecutableReference reference, string library, Action<string, string, int, string> add)
            {
                MetadataReader reader;
                try
                {
                    if (reference.GetMetadata() is not AssemblyMetadata metadata || metadata.GetModules().IsDefaultOrEmpty)
                    {
                        return;
                    }

                    reader = metadata.GetModules()[0].GetMetadataReader();
                }
                catch (Exception exception) when (exception is BadImageFormatException or System.IO.IOException or InvalidOperationException)
                {
                    return;
                }

                string where = "[" + library + "]";
                foreach (TypeReferenceHandle handle in reader.TypeReferences)
                {
                    TypeReference type = reader.GetTypeReference(handle);
                    string ns = reader.GetString(type.Namespace);
                    string name = reader.GetString(type.Name);
                    string full = ns + "." + name;
                    string? feature = ns == "System.Globalization" && name is not ("CultureInfo" or "NumberFormatInfo" or "DateTimeFormatInfo" or "UnicodeCategory" or "NumberStyles" or "DateTimeStyles") ? "globalization"
                        : full is "System.StringComparison" or "System.StringComparer" ? "globalization"
                        : ns == "System.Diagnostics.Tracing" ? "event-source"
                        : ns == "System.Diagnostics.Metrics" ? "metrics"
                        : full == "System.Diagnostics.Debugger" ? "debugger"
                        : full is "System.Diagnostics.StackTrace" or "System.Diagnostics.StackFrame" ? "stack-traces"
                        : full is "System.TimeZoneInfo" or "System.TimeZone" ? "time-zones"
                        : null;
                    if (feature is not null)
                    {
                        add(feature, where, 0, "references " + full);
                    }
                }

                foreach (MemberReferenceHandle handle in reader.MemberReferences)
                {
                    MemberReference member = reader.GetMemberReference(handle);
                    if (member.Parent.Kind != HandleKind.TypeReference)
                    {
                        continue;
                    }

                    TypeReference parent = reader.GetTypeReference((TypeReferenceHandle)member.Parent);
                    string ns = reader.GetString(parent.Namespace);
                    string typeName = reader.GetString(parent.Name);
                    string name = reader.GetString(member.Name);
                    string shown = "calls " + ns + "." + typeName + "." + name;
                    if (ns == "System.Globalization" && name is not ("get_InvariantCulture" or "get_InvariantInfo"))
                    {
                        add("globalization", where, 0, shown);
                    }
                    else if (ns == "System" && (typeName == "DateTime" || typeName == "DateTimeOffset") && name is "get_Now" or "get_Today" or "ToLocalTime" or "get_LocalDateTime")
                    {
                        add("time-zones", where, 0, shown);
                    }
                    else if (name is "get_Message" or "get_InnerException" or "GetBaseException" or "ToString")
                    {
                        add("resource-messages", where, 0, shown);
                        if (name != "get_Message")
                        {
                            add("stack-traces", where, 0, shown);
                        }
                    }
                    else if (name == "get_StackTrace")
                    {
                        add("stack-traces", where, 0, shown);
                    }
                }
            }
        }
    }
}
