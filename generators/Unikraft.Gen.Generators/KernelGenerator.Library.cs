using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Model;
using Unikraft.Gen.Support;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Libraries built with this generator. A library has no kernel of its own that runs: the
        // program's kernel serves it. So a library's build records what it needs in its assembly
        // metadata ([assembly: KernelNeeds(...)], one per call site), and redirects its BCL calls
        // through a bridge: a public class of delegate fields, one per overload it calls, which the
        // program's boot sets to its own kernel's API. The program's generator reads the records,
        // folds them into its kernel ("needed by library X") and writes the wiring into its boot.
        // A library run without a kernel (a plain .NET program references it) finds the fields
        // unset and calls the BCL, as it would without this generator.
        internal static class Libraries
        {
            private const string AttributeName = "KernelNeedsAttribute";

            private const int AttributeArity = 9;

            // The program's side: what its referenced libraries recorded.
            public static EquatableArray<LibraryNeed> Read(Compilation compilation, CancellationToken cancellationToken)
            {
                var needs = new List<LibraryNeed>();
                foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string library = assembly.Identity.Name;
                    if (IsFramework(compilation, assembly))
                    {
                        continue;
                    }

                    foreach (AttributeData attribute in assembly.GetAttributes())
                    {
                        if (attribute.AttributeClass is not { Name: AttributeName } type
                            || type.ContainingNamespace?.ToDisplayString() != Emit.GeneratedNamespace
                            || attribute.ConstructorArguments.Length != AttributeArity
                            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
                        {
                            continue;
                        }

                        ImmutableArray<TypedConstant> a = attribute.ConstructorArguments;
                        var paths = new List<string>();
                        if (a[4].Kind == TypedConstantKind.Array)
                        {
                            foreach (TypedConstant path in a[4].Values)
                            {
                                paths.Add(path.Value as string ?? "");
                            }
                        }

                        needs.Add(new LibraryNeed(library, a[0].Value as string ?? "", a[1].Value as string ?? "", a[2].Value as string ?? "",
                            a[3].Value is int line ? line : 0, paths.ToEquatableArray(), a[5].Value as string ?? "", a[6].Value as string ?? "",
                            a[7].Value as string ?? "", a[8].Value is int arity ? arity : 0));
                    }
                }

                needs.Sort((x, y) =>
                {
                    int order = string.CompareOrdinal(x.Library, y.Library);
                    order = order != 0 ? order : string.CompareOrdinal(x.File, y.File);
                    order = order != 0 ? order : x.Line.CompareTo(y.Line);
                    return order != 0 ? order : string.CompareOrdinal(x.Display, y.Display);
                });
                return needs.ToEquatableArray();
            }

            // Whether a referenced assembly is part of a shared framework, by where its reference comes
            // from (FrameworkReference), not by its name: a library named Microsoft.Foo built with
            // the generator records its needs like any other.
            public static bool IsFramework(Compilation compilation, IAssemblySymbol assembly) =>
                FrameworkReference.IsFramework((compilation.GetMetadataReference(assembly) as PortableExecutableReference)?.FilePath, assembly.Identity.Name);

            // A library's call as one of the program's uses, for the plan's roots, features and mounts.
            public static ApiUse AsUse(LibraryNeed need) =>
                new ApiUse(need.KernelMember, need.Display + " (needed by library " + need.Library + ")", "[" + need.Library + "] " + need.File, need.Line, null, need.Paths);

            // The program's boot: each library's bridge fields set to this kernel's API.
            public static void WriteWiring(SourceWriter writer, KernelPlan plan)
            {
                var wired = new HashSet<string>(StringComparer.Ordinal);
                foreach (LibraryNeed need in plan.Libraries)
                {
                    if (need.BridgeField.Length == 0 || !wired.Add(need.BridgeType + "." + need.BridgeField))
                    {
                        continue;
                    }

                    if (wired.Count == 1)
                    {
                        writer.Line("// Libraries built with Unikraft.Gen: their calls reach this kernel through their bridges.");
                    }

                    string parameters = string.Join(", ", Enumerable.Range(0, need.Arity).Select(i => "a" + i.ToString(CultureInfo.InvariantCulture)));
                    writer.Line(need.BridgeType + "." + need.BridgeField + " = static (" + parameters + ") => " + need.Target + "(" + parameters + ");");
                }
            }

            // The library's side: the bridge, the interceptors that go through it, and the records.
            public static string Bridge(KernelPlan plan)
            {
                string bridgeName = "KernelBridge_" + Identifier(plan.Config.AssemblyName);
                string bridgeType = "global::" + Emit.GeneratedNamespace + "." + bridgeName;
                var writer = new SourceWriter();
                Emit.WriteHeader(writer);
                writer.Line("// Unikraft.Gen library bridge: this library has no kernel that runs; the kernel of the program");
                writer.Line("// that references it serves it. What it needs is recorded below as assembly attributes, which");
                writer.Line("// that program's generator reads; its BCL calls go through " + bridgeName + ", whose fields the");
                writer.Line("// program's boot sets. Unset (no kernel: a plain .NET program), a call goes to the BCL.");
                writer.Line("#nullable enable");

                List<IGrouping<string, ApiUse>> groups = Emit.InterceptionGroups(plan);
                var fields = new Dictionary<string, (string Field, Interception Interception, List<ApiUse> Uses)>(StringComparer.Ordinal);
                var unbridged = new List<ApiUse>();
                foreach (IGrouping<string, ApiUse> group in groups)
                {
                    Interception interception = group.First().Interception!;
                    if (!CanBridge(interception))
                    {
                        unbridged.AddRange(group);
                        continue;
                    }

                    string field = interception.Name + "_" + fields.Count.ToString(CultureInfo.InvariantCulture);
                    fields.Add(group.Key, (field, interception, group.ToList()));
                }

                foreach (ApiUse use in plan.Uses.OrderBy(u => u.File, StringComparer.Ordinal).ThenBy(u => u.Line).ThenBy(u => u.Display, StringComparer.Ordinal))
                {
                    string field = "";
                    int arity = 0;
                    string target = "";
                    if (use.Interception is { } interception && fields.TryGetValue(Emit.Signature(interception), out var bridged))
                    {
                        field = bridged.Field;
                        arity = interception.Parameters.Count;
                        target = interception.Target;
                    }

                    string paths = use.Paths.Count == 0 ? "new string[0]" : "new string[] { " + string.Join(", ", use.Paths.Select(p => Emit.Literal(p))) + " }";
                    writer.Line("[assembly: " + bridgeType.Replace(bridgeName, AttributeName) + "(" + Emit.Literal(use.KernelMember) + ", " + Emit.Literal(use.Display) + ", "
                        + Emit.Literal(Plan.Relative(use.File, plan.Config.ProjectDirectory)) + ", " + use.Line.ToString(CultureInfo.InvariantCulture) + ", " + paths + ", "
                        + Emit.Literal(field) + ", " + Emit.Literal(field.Length == 0 ? "" : bridgeType) + ", " + Emit.Literal(target) + ", " + arity.ToString(CultureInfo.InvariantCulture) + ")]");
                }

                writer.Line();
                Emit.WriteInterceptsLocationAttribute(writer);
                writer.Line();
                writer.Open("namespace " + Emit.GeneratedNamespace);
                writer.Line("// A call site this library makes, for the kernel of the program that references it.");
                writer.Line("[global::System.AttributeUsage(global::System.AttributeTargets.Assembly, AllowMultiple = true)]");
                writer.Open("internal sealed class " + AttributeName + " : global::System.Attribute");
                writer.Open("public " + AttributeName + "(string kernelMember, string display, string file, int line, string[] paths, string bridgeField, string bridgeType, string target, int arity)");
                writer.Line("_ = kernelMember;");
                writer.Line("_ = display;");
                writer.Line("_ = file;");
                writer.Line("_ = line;");
                writer.Line("_ = paths;");
                writer.Line("_ = bridgeField;");
                writer.Line("_ = bridgeType;");
                writer.Line("_ = target;");
                writer.Line("_ = arity;");
                writer.Close();
                writer.Close();
                writer.Line();
                writer.Line("// Set by the boot of the program this library runs in; one field per BCL overload the library calls.");
                writer.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
                writer.Open("public static class " + bridgeName);
                foreach ((string field, Interception interception, List<ApiUse> _) in fields.Values.OrderBy(f => f.Field, StringComparer.Ordinal))
                {
                    writer.Line("public delegate " + interception.ReturnType + " " + field + "_Call(" + Parameters(interception, withAttributes: false) + ");");
                    writer.Line();
                    writer.Line("public static " + field + "_Call? " + field + ";");
                    writer.Line();
                }

                writer.Close();
                writer.Line();
                writer.Open("file static class UnikraftLibraryInterceptors");
                bool first = true;
                foreach ((string field, Interception interception, List<ApiUse> uses) in fields.Values.OrderBy(f => f.Field, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        writer.Line();
                    }

                    first = false;
                    Emit.WriteCallSites(writer, plan, uses);
                    bool isVoid = interception.ReturnType == "void";
                    bool doesNotReturn = interception.Attributes.Contains("DoesNotReturn");
                    List<string> names = interception.Parameters.Select(p => p.Name).ToList();
                    string bcl = interception.Bcl.StartsWith(".", StringComparison.Ordinal)
                        ? names[0] + interception.Bcl + "(" + string.Join(", ", names.Skip(1)) + ")"
                        : interception.Bcl + "(" + string.Join(", ", names) + ")";
                    writer.Open("internal static " + interception.ReturnType + " " + field + "(" + Parameters(interception, withAttributes: true) + ")");
                    writer.Line(bridgeType + "." + field + "_Call? kernel = " + bridgeType + "." + field + ";");
                    writer.Open("if (kernel is null)");
                    writer.Line(isVoid ? bcl + ";" : "return " + bcl + ";");
                    if (isVoid && !doesNotReturn)
                    {
                        writer.Line("return;");
                    }

                    writer.Close();
                    writer.Line();
                    writer.Line(isVoid ? "kernel(" + string.Join(", ", names) + ");" : "return kernel(" + string.Join(", ", names) + ");");
                    if (doesNotReturn)
                    {
                        writer.Line("throw new global::System.InvalidOperationException(" + Emit.Literal(interception.Bcl.TrimStart('.') + " returned") + ");");
                    }

                    writer.Close();
                }

                writer.Close();
                writer.Close();
                if (unbridged.Count > 0)
                {
                    writer.Line();
                    writer.Line("// Not bridged (a generic method or a ref/out parameter cannot be a bridge field); these calls reach the host:");
                    foreach (ApiUse use in unbridged)
                    {
                        writer.Line("//   " + use.Display + " at " + Plan.Relative(use.File, plan.Config.ProjectDirectory) + ":" + use.Line);
                    }
                }

                return writer.ToString();
            }

            private static bool CanBridge(Interception interception) =>
                interception.TypeParameters.Length == 0
                && interception.Parameters.All(p => p.Modifier is "" or "this ")
                && interception.Bcl.Length > 0;

            private static string Parameters(Interception interception, bool withAttributes) =>
                string.Join(", ", interception.Parameters.Select(p =>
                    (withAttributes && p.Attributes.Length > 0 ? p.Attributes + " " : "") + (withAttributes ? p.Modifier : "") + p.Type + " " + p.Name));

            // An assembly name as part of a C# identifier: "My.Lib-2" -> "My_Lib_2".
            private static string Identifier(string name)
            {
                var builder = new StringBuilder();
                foreach (char c in name.Length == 0 ? "Library" : name)
                {
                    builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
                }

                return builder.ToString();
            }
        }
    }
}
