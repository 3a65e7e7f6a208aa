using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Unikraft.Gen.Support;
using Xunit;

namespace Unikraft.Gen.Analyzers.Tests;

// The table and the documents around it stay in step with the code.
public sealed class SupportTableTests
{
    [Fact]
    public void EveryDiagnostic_HasDocsPage_AndReleaseRow()
    {
        string root = Verifiers.RepositoryRoot();
        string releases = File.ReadAllText(Path.Combine(root, "analyzers", "Unikraft.Gen.Analyzers", "AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(root, "analyzers", "Unikraft.Gen.Analyzers", "AnalyzerReleases.Shipped.md"));
        var supported = new SupportTableAnalyzer().SupportedDiagnostics.AddRange(new MountAnalyzer().SupportedDiagnostics).AddRange(new ReferenceScanAnalyzer().SupportedDiagnostics)
            .AddRange(new NetAnalyzer().SupportedDiagnostics);
        Assert.Equal(DiagnosticDescriptors.All.Length, supported.Length);

        foreach (DiagnosticDescriptor descriptor in supported)
        {
            string page = Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(File.Exists(page), descriptor.Id + " has no page at " + page);
            Assert.StartsWith("# " + descriptor.Id + ": " + descriptor.Title, File.ReadAllText(page), StringComparison.Ordinal);
            Assert.Equal(HelpLinks.For(descriptor.Id), descriptor.HelpLinkUri);
            Assert.EndsWith("docs/diagnostics/" + descriptor.Id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);
            Assert.Contains(descriptor.Category, new[] { DiagnosticDescriptors.Category, DiagnosticDescriptors.FileCategory, DiagnosticDescriptors.SimCategory, DiagnosticDescriptors.NetCategory });

            var row = new Regex("^" + descriptor.Id + @"\s*\|\s*" + Regex.Escape(descriptor.Category) + @"\s*\|\s*" + descriptor.DefaultSeverity + @"\s*\|", RegexOptions.Multiline);
            Assert.True(row.IsMatch(releases), descriptor.Id + " has no release row with its category and severity " + descriptor.DefaultSeverity);
        }
    }

    [Fact]
    public void SupportTable_Parses_AndEveryRowNamesARealApi()
    {
        SupportTable table = SupportTable.Embedded;
        Assert.NotEmpty(table.Rows);
        CSharpCompilation compilation = CSharpCompilation.Create("References", references: Basic.Reference.Assemblies.Net100.References.All);

        foreach (SupportRow row in table.Rows)
        {
            if (row.Kind == SupportMemberKind.Syntax)
            {
                Assert.Equal(SupportTableAnalyzer.FunctionPointerSyntaxName, row.TypeName);
                continue;
            }

            INamedTypeSymbol? type = compilation.GetTypeByMetadataName(row.TypeName);
            Assert.True(type is not null, "Line " + row.Line + ": '" + row.TypeName + "' is not a type in the .NET 10 reference assemblies.");
            switch (row.Kind)
            {
                case SupportMemberKind.Method:
                    Assert.True(type!.GetMembers(row.MemberName).OfType<IMethodSymbol>().Any(m => m.DeclaredAccessibility == Accessibility.Public),
                        "Line " + row.Line + ": " + row.TypeName + " has no public method " + row.MemberName + ".");
                    break;
                case SupportMemberKind.Property:
                    Assert.True(type!.GetMembers(row.MemberName).OfType<IPropertySymbol>().Any(p => p.DeclaredAccessibility == Accessibility.Public),
                        "Line " + row.Line + ": " + row.TypeName + " has no public property " + row.MemberName + ".");
                    break;
                case SupportMemberKind.Constructor:
                    Assert.True(type!.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public),
                        "Line " + row.Line + ": " + row.TypeName + " has no public constructor.");
                    break;
                case SupportMemberKind.Attribute:
                    Assert.True(IsAttribute(type!), "Line " + row.Line + ": " + row.TypeName + " is not an attribute.");
                    break;
            }

            if (row.Condition is SupportTable.NoArguments or SupportTable.FirstArgumentFalse)
            {
                Assert.Equal(SupportStatus.Nondeterministic, row.Status);
            }
            else if (row.Condition == SupportTable.PathArgument)
            {
                // Only an unsupported row, and only where some overload takes a path first.
                Assert.Equal(SupportStatus.Unsupported, row.Status);
                IEnumerable<IMethodSymbol> overloads = row.Kind == SupportMemberKind.Constructor
                    ? type!.InstanceConstructors
                    : type!.GetMembers(row.MemberName).OfType<IMethodSymbol>();
                Assert.True(overloads.Any(m => m.DeclaredAccessibility == Accessibility.Public && SupportTable.OverloadMatches(row, m)),
                    "Line " + row.Line + ": " + row.Key + " has no public overload whose first parameter is a string.");
            }
            else if (row.Condition.Length > 0)
            {
                int dot = row.Condition.LastIndexOf('.');
                INamedTypeSymbol? conditionType = compilation.GetTypeByMetadataName(row.Condition.Substring(0, dot));
                Assert.True(conditionType?.GetMembers(row.Condition.Substring(dot + 1)).Any() == true,
                    "Line " + row.Line + ": the condition's member " + row.Condition + " does not exist.");
            }

            if (row.Status == SupportStatus.KernelApi || row.Status == SupportStatus.Intercepted)
            {
                Assert.StartsWith("Unikraft.Kernel.", row.Replacement, StringComparison.Ordinal);
            }
        }
    }

    private static bool IsAttribute(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == "System.Attribute")
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void EveryReplacement_IsDeclaredInTheKernelApi()
    {
        // The kernel's sources (kernel/) are read as syntax only: they build inside the generator,
        // not here. Each intercepted row's type and each kernel-api row's member must exist there,
        // or UK0002 and UK0003 would point the user at something the kernel does not have.
        string root = Verifiers.RepositoryRoot();
        var members = new System.Collections.Generic.Dictionary<string, System.Collections.Generic.HashSet<string>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "kernel"), "*.cs", SearchOption.AllDirectories))
        {
            SyntaxNode tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            foreach (var type in tree.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>())
            {
                string? ns = type.Ancestors().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
                if (type.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax || ns is null)
                {
                    continue;
                }

                string name = ns + "." + type.Identifier.ValueText;
                if (!members.TryGetValue(name, out var names))
                {
                    members[name] = names = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
                }

                foreach (var member in type.Members)
                {
                    switch (member)
                    {
                        case Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method: names.Add(method.Identifier.ValueText); break;
                        case Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax property: names.Add(property.Identifier.ValueText); break;
                    }
                }
            }
        }

        foreach (SupportRow row in SupportTable.Embedded.Rows)
        {
            if (row.Status == SupportStatus.Intercepted)
            {
                Assert.True(members.TryGetValue(row.Replacement, out var names) && names.Contains(row.MemberName),
                    "Line " + row.Line + ": the kernel API has no " + row.Replacement + "." + row.MemberName + ".");
            }
            else if (row.Status == SupportStatus.KernelApi)
            {
                int dot = row.Replacement.LastIndexOf('.');
                Assert.True(members.TryGetValue(row.Replacement.Substring(0, dot), out var names) && names.Contains(row.Replacement.Substring(dot + 1)),
                    "Line " + row.Line + ": the kernel API has no " + row.Replacement + ".");
            }
        }
    }

    [Fact]
    public void SupportTable_MalformedRow_ErrorNamesTheLine()
    {
        const string text = "# member\tstatus\tfeature\treplacement\tcondition\tnative\treason\n"
            + "M:System.Console.WriteLine\tintercepted\tconsole\tUnikraft.Kernel.KernelConsole\t-\tserved\t-\n"
            + "M:System.Diagnostics.Process.Start\tmaybe\tprocess\t-\t-\t-\tno processes\n";

        var error = Assert.Throws<FormatException>(() => SupportTable.Parse(text));
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("maybe", error.Message, StringComparison.Ordinal);

        var columns = Assert.Throws<FormatException>(() => SupportTable.Parse("\n\nM:System.Console.Write\tintercepted\n"));
        Assert.Contains("line 3", columns.Message, StringComparison.Ordinal);

        var native = Assert.Throws<FormatException>(() => SupportTable.Parse("M:System.Console.Write\tintercepted\tconsole\tUnikraft.Kernel.KernelConsole\t-\tyes\t-\n"));
        Assert.Contains("native 'yes'", native.Message, StringComparison.Ordinal);
    }
}
