namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

// The generator prunes the kernel sources by text spans computed from the conventions in
// docs/kernel-conventions.md; these tests hold every kernel file to them, so a broken rule
// fails here first, with the file and line.
public class ConventionTests
{
    private static readonly string[] AllowedApiTypes =
    {
        "Sys", "Kernel", "Errno", "SyscallNumber", "KernelException", "Timespec", "KernelLibraryAttribute",
        "Stat", "OpenFlags", "KernelFeatureAttribute",
    };

    [Fact]
    public void KernelSources_FollowConventions()
    {
        List<string> problems = new List<string>();
        foreach (KernelSource source in KernelSource.All())
        {
            CheckFile(source, problems);
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void EveryLibraryFolder_HasLibraryAndReadme()
    {
        List<string> problems = new List<string>();
        string kernelRoot = Path.Combine(KernelSource.RepositoryRoot(), "kernel");
        HashSet<string> folders = new HashSet<string>(KernelSource.All().Select(source => Path.GetDirectoryName(source.Path)!));
        foreach (string folder in folders)
        {
            string library = Path.Combine(folder, "Library.cs");
            string readme = Path.Combine(folder, "README.md");
            string name = Path.GetRelativePath(kernelRoot, folder);
            if (!File.Exists(library) || !File.ReadAllText(library).Contains("[assembly: KernelLibrary(\"", StringComparison.Ordinal))
            {
                problems.Add(name + ": no Library.cs with [assembly: KernelLibrary(...)]");
            }
            if (!File.Exists(readme) || !File.ReadAllText(readme).Contains("Key types", StringComparison.Ordinal))
            {
                problems.Add(name + ": no README.md with \"Key types\"");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Syscalls_AreStaticSysMethodsThatReturnThroughKernelReturn()
    {
        List<string> problems = new List<string>();
        int count = 0;
        foreach (KernelSource source in KernelSource.All())
        {
            foreach (MethodDeclarationSyntax method in source.Root.DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (!HasAttribute(method.AttributeLists, "Syscall"))
                {
                    continue;
                }
                count++;
                string where = source.Where(method);
                ClassDeclarationSyntax? owner = method.Parent as ClassDeclarationSyntax;
                if (owner == null || owner.Identifier.Text != "Sys")
                {
                    problems.Add(where + ": a [Syscall] method must be a member of Sys");
                }
                if (!method.Modifiers.Any(SyntaxKind.StaticKeyword) || method.ReturnType.ToString() != "long")
                {
                    problems.Add(where + ": a syscall is static and returns long");
                }
                ParameterSyntax? first = method.ParameterList.Parameters.FirstOrDefault();
                if (first == null || first.Type?.ToString() != "Kernel" || first.Identifier.Text != "kernel")
                {
                    problems.Add(where + ": a syscall's first parameter is Kernel kernel");
                }
                if (method.Body == null)
                {
                    problems.Add(where + ": a syscall has a block body");
                    continue;
                }
                foreach (ReturnStatementSyntax statement in method.Body.DescendantNodes().OfType<ReturnStatementSyntax>())
                {
                    string expression = statement.Expression?.ToString() ?? "";
                    if (!expression.StartsWith("kernel.Return(SyscallNumber.", StringComparison.Ordinal) &&
                        !expression.StartsWith("result", StringComparison.Ordinal))
                    {
                        problems.Add(source.Where(statement) + ": every syscall return goes through kernel.Return(SyscallNumber.X, value)");
                    }
                }
            }
        }

        Assert.True(count >= 9, "found only " + count + " syscalls");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void EverySyscallNumber_HasALinuxName()
    {
        foreach (FieldInfo field in typeof(SyscallNumber).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            int number = (int)field.GetValue(null)!;
            string name = SyscallNumber.Name(number);
            Assert.NotEqual(number.ToString(System.Globalization.CultureInfo.InvariantCulture), name);
            Assert.Equal(ToSnakeCase(field.Name), name);
        }
    }

    [Fact]
    public void BootSteps_AreAllInTheTestBootInOrder()
    {
        List<(int Order, MethodInfo Method)> steps = new List<(int, MethodInfo)>();
        foreach (Type type in typeof(Kernel).Assembly.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            {
                BootStepAttribute? step = method.GetCustomAttribute<BootStepAttribute>();
                if (step != null)
                {
                    Assert.Equal(typeof(void), method.ReturnType);
                    Assert.Equal(new[] { typeof(Kernel) }, method.GetParameters().Select(parameter => parameter.ParameterType));
                    steps.Add((step.Order, method));
                }
            }
        }

        // The native layer serves the one kernel of a process (the linker gives one entry point per
        // native function); test kernels run many at a time in one process, so they leave it out.
        MethodInfo[] expected = steps.OrderBy(step => step.Order).Select(step => step.Method)
            .Where(method => method.DeclaringType != typeof(NativeLayer)).ToArray();
        Assert.Equal(steps.Count, steps.Select(step => step.Order).Distinct().Count());
        Assert.Equal(expected, TestKernel.BootSteps.Select(step => step.Method));
    }

    [Fact]
    public void Devices_AreMarkedWithTheirKind()
    {
        Assert.Equal("console", typeof(HostedConsole).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("clock", typeof(HostedClock).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("random", typeof(HostedRandom).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("netdev", typeof(TapNetDevice).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("netdev", typeof(PasstNetDevice).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("netdev", typeof(SimNic).GetCustomAttribute<DeviceAttribute>()!.Kind);
        Assert.Equal("netdev", typeof(VirtioNetDevice).GetCustomAttribute<DeviceAttribute>()!.Kind);
    }

    [Fact]
    public void Libraries_DeclareWhatTheyNeed()
    {
        Dictionary<string, KernelLibraryAttribute> libraries = typeof(Kernel).Assembly
            .GetCustomAttributes<KernelLibraryAttribute>()
            .ToDictionary(library => library.Name);

        Assert.Equal(
            new[] { "api", "console", "core", "devfs", "environ", "hostfs", "initrd", "inotify", "native", "net-dns", "net-iface", "net-socket", "net-tcp", "net-udp", "net-wire", "netdev", "pipe", "platform-hosted", "platform-microvm", "platform-sim", "poll", "ramfs", "random", "sched", "time", "vfs", "virtio" },
            libraries.Keys.OrderBy(name => name, StringComparer.Ordinal));
        foreach (KernelLibraryAttribute library in libraries.Values)
        {
            Assert.False(string.IsNullOrWhiteSpace(library.Summary), library.Name + " has no summary");
            Assert.All(library.Needs, need => Assert.True(libraries.ContainsKey(need), library.Name + " needs unknown " + need));
        }
    }

    // The API is emitted unpruned: every kernel symbol it touches is kept in every program, so
    // it may touch only the syscalls and the small core surface.
    [Fact]
    public void Api_UsesOnlyTheSyscallSurface()
    {
        List<KernelSource> sources = KernelSource.All().ToList();
        CSharpCompilation compilation = CSharpCompilation.Create(
            "KernelCheck",
            sources.Select(source => source.Tree),
            PlatformReferences(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        Diagnostic[] errors = compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, string.Join(Environment.NewLine, errors.Select(error => error.ToString())));

        List<string> problems = new List<string>();
        foreach (KernelSource source in sources.Where(source => source.IsApi))
        {
            SemanticModel model = compilation.GetSemanticModel(source.Tree);
            foreach (SimpleNameSyntax name in source.Root.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                ISymbol? symbol = model.GetSymbolInfo(name).Symbol;
                if (symbol == null || !IsKernelSymbol(symbol) || IsDeclaredInApi(symbol, sources))
                {
                    continue;
                }
                INamedTypeSymbol? outer = OutermostType(symbol);
                string typeName = outer?.Name ?? symbol.Name;
                bool allowed = Array.IndexOf(AllowedApiTypes, typeName) >= 0 &&
                    (typeName != "Kernel" || symbol is INamedTypeSymbol || symbol.Name == "Current");
                if (!allowed)
                {
                    problems.Add(source.Where(name) + ": the API uses " + symbol.ToDisplayString());
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static void CheckFile(KernelSource source, List<string> problems)
    {
        CompilationUnitSyntax root = source.Root;
        string text = source.Text;
        if (text.Contains("///", StringComparison.Ordinal))
        {
            problems.Add(source.Where(text.IndexOf("///", StringComparison.Ordinal)) + ": no /// comments");
        }
        if (root.DescendantTrivia().Any(trivia => trivia.IsKind(SyntaxKind.IfDirectiveTrivia)))
        {
            problems.Add(source.Path + ": no #if");
        }

        if (source.IsLibraryFile)
        {
            // C# requires assembly attributes before any namespace (CS1730), so Library.cs is the
            // one file without the namespace line; it holds nothing but the attribute.
            if (root.Members.Count != 0 || root.AttributeLists.Count != 1 ||
                !HasAttribute(root.AttributeLists, "KernelLibrary"))
            {
                problems.Add(source.Path + ": Library.cs holds exactly one [assembly: KernelLibrary(...)] and nothing else");
            }
            return;
        }

        if (root.Usings.Count != 0 || root.Externs.Count != 0 || root.AttributeLists.Count != 0 ||
            root.Members.Count != 1 || root.Members[0] is not FileScopedNamespaceDeclarationSyntax fileNamespace ||
            fileNamespace.Name.ToString() != "Unikraft.Kernel")
        {
            problems.Add(source.Where(0) + ": the file must start with 'namespace Unikraft.Kernel;' (after comments), usings after it");
        }
        if (root.GetLeadingTrivia().Any(trivia => !trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) &&
            !trivia.IsKind(SyntaxKind.WhitespaceTrivia) && !trivia.IsKind(SyntaxKind.EndOfLineTrivia)))
        {
            problems.Add(source.Path + ": only // comment lines may come before the namespace line");
        }

        List<MemberDeclarationSyntax> topLevel = new List<MemberDeclarationSyntax>();
        foreach (MemberDeclarationSyntax member in root.Members)
        {
            if (member is BaseNamespaceDeclarationSyntax namespaceDeclaration)
            {
                topLevel.AddRange(namespaceDeclaration.Members);
            }
            else
            {
                topLevel.Add(member);
            }
        }
        foreach (MemberDeclarationSyntax member in topLevel)
        {
            if (member is not BaseTypeDeclarationSyntax && member is not DelegateDeclarationSyntax)
            {
                continue;
            }
            SyntaxTokenList modifiers = member.Modifiers;
            if (!modifiers.Any(SyntaxKind.InternalKeyword) || modifiers.Any(SyntaxKind.PublicKeyword))
            {
                problems.Add(source.Where(member) + ": top-level types are internal");
            }
        }

        foreach (SyntaxNode node in root.DescendantNodes())
        {
            switch (node)
            {
                case EnumDeclarationSyntax enumDeclaration:
                    problems.Add(source.Where(enumDeclaration) + ": no enums");
                    break;
                case EventFieldDeclarationSyntax or EventDeclarationSyntax:
                    problems.Add(source.Where(node) + ": no events");
                    break;
                case FieldDeclarationSyntax field when field.Declaration.Variables.Count != 1:
                    problems.Add(source.Where(field) + ": one field per declaration");
                    break;
                case TypeDeclarationSyntax type when type.Modifiers.Any(SyntaxKind.PartialKeyword):
                    // Sys is split across the libraries; an app-facing API class is declared by name
                    // in the generator's post-initialization output, its members come with the kernel.
                    bool isApiClass = source.IsApi && type.Parent is BaseNamespaceDeclarationSyntax or CompilationUnitSyntax;
                    if (type is not ClassDeclarationSyntax || (type.Identifier.Text != "Sys" && !isApiClass) ||
                        !type.Modifiers.Any(SyntaxKind.StaticKeyword) || !type.Modifiers.Any(SyntaxKind.InternalKeyword))
                    {
                        problems.Add(source.Where(type) + ": the only partial types are 'internal static partial class Sys' and the app-facing API's static classes");
                    }
                    break;
                case MethodDeclarationSyntax method when method.Modifiers.Any(SyntaxKind.PartialKeyword):
                    problems.Add(source.Where(method) + ": no partial methods");
                    break;
                case UnsafeStatementSyntax:
                    problems.Add(source.Where(node) + ": no unsafe");
                    break;
                case UsingDirectiveSyntax usingDirective:
                    string imported = usingDirective.NamespaceOrType.ToString();
                    if (imported == "System.Linq" || imported == "System.Reflection" || imported.StartsWith("System.Linq.", StringComparison.Ordinal))
                    {
                        problems.Add(source.Where(usingDirective) + ": no LINQ or reflection in the kernel");
                    }
                    break;
                case IdentifierNameSyntax identifier when identifier.Identifier.Text == "dynamic":
                    problems.Add(source.Where(identifier) + ": no dynamic");
                    break;
            }
            // The one exception: the native layer's JIT route hands the runtime the addresses of
            // its [UnmanagedCallersOnly] entry points, which C# gives only as function pointers, in
            // unsafe code (kernel/Native/NativeSlots.cs). Nothing else there may be unsafe.
            bool nativeSlots = source.RelativePath == Path.Combine("Native", "NativeSlots.cs") && node is ClassDeclarationSyntax { Identifier.Text: "NativeSlots" };
            // And the device drivers: a virtio device's registers and the rings and buffers it
            // reaches by DMA are memory at fixed addresses that the GC does not own (kernel/Virtio,
            // and the microvm platform's way to them). Whole types are unsafe there, nothing else.
            bool deviceMemory = node is TypeDeclarationSyntax
                && (source.RelativePath.StartsWith("Virtio" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                    || source.RelativePath == Path.Combine("Platform", "MicroVm", "MicroVmVirtio.cs"));
            if (node is MemberDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.UnsafeKeyword) && !nativeSlots && !deviceMemory)
            {
                problems.Add(source.Where(node) + ": no unsafe");
            }
        }
    }

    private static bool HasAttribute(SyntaxList<AttributeListSyntax> lists, string name)
    {
        foreach (AttributeListSyntax list in lists)
        {
            foreach (AttributeSyntax attribute in list.Attributes)
            {
                string text = attribute.Name.ToString();
                if (text == name || text == name + "Attribute")
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool IsKernelSymbol(ISymbol symbol)
    {
        INamedTypeSymbol? type = OutermostType(symbol);
        return type != null && type.ContainingNamespace.ToDisplayString() == "Unikraft.Kernel" &&
            type.ContainingAssembly.Name == "KernelCheck";
    }

    private static bool IsDeclaredInApi(ISymbol symbol, List<KernelSource> sources)
    {
        INamedTypeSymbol? type = OutermostType(symbol);
        if (type == null)
        {
            return false;
        }
        return type.DeclaringSyntaxReferences.All(reference =>
            sources.Any(source => source.IsApi && source.Tree == reference.SyntaxTree));
    }

    private static INamedTypeSymbol? OutermostType(ISymbol symbol)
    {
        INamedTypeSymbol? type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
        while (type?.ContainingType != null)
        {
            type = type.ContainingType;
        }
        return type;
    }

    private static IEnumerable<MetadataReference> PlatformReferences()
    {
        string paths = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in paths.Split(Path.PathSeparator))
        {
            string file = Path.GetFileName(path);
            if (file.StartsWith("System.", StringComparison.Ordinal) || file == "mscorlib.dll" || file == "netstandard.dll")
            {
                yield return MetadataReference.CreateFromFile(path);
            }
        }
    }

    private static string ToSnakeCase(string pascal)
    {
        System.Text.StringBuilder builder = new System.Text.StringBuilder();
        for (int index = 0; index < pascal.Length; index++)
        {
            char letter = pascal[index];
            if (char.IsUpper(letter) && index > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(letter));
        }
        return builder.ToString();
    }

    private sealed class KernelSource
    {
        private KernelSource(string path, string relativePath, string text)
        {
            Path = path;
            RelativePath = relativePath;
            Text = text;
            Tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Preview), path);
            Root = (CompilationUnitSyntax)Tree.GetRoot();
        }

        public string Path { get; }

        public string RelativePath { get; }

        public string Text { get; }

        public SyntaxTree Tree { get; }

        public CompilationUnitSyntax Root { get; }

        public bool IsLibraryFile => System.IO.Path.GetFileName(Path) == "Library.cs";

        public bool IsApi => RelativePath.StartsWith("Api" + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);

        public static string RepositoryRoot()
        {
            DirectoryInfo? directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory != null)
            {
                if (File.Exists(System.IO.Path.Combine(directory.FullName, "Unikraft.Gen.sln")) ||
                    File.Exists(System.IO.Path.Combine(directory.FullName, "Directory.Build.props")))
                {
                    return directory.FullName;
                }
                directory = directory.Parent;
            }
            throw new InvalidOperationException("No repository root (Unikraft.Gen.sln or Directory.Build.props) above " + AppContext.BaseDirectory);
        }

        public static IEnumerable<KernelSource> All()
        {
            string kernelRoot = System.IO.Path.Combine(RepositoryRoot(), "kernel");
            string[] files = Directory.GetFiles(kernelRoot, "*.cs", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string file in files)
            {
                string relative = System.IO.Path.GetRelativePath(kernelRoot, file);
                string first = relative.Split(System.IO.Path.DirectorySeparatorChar)[0];
                if (first == "bin" || first == "obj")
                {
                    continue;
                }
                yield return new KernelSource(file, relative, File.ReadAllText(file));
            }
        }

        public string Where(SyntaxNode node)
        {
            return Where(node.SpanStart);
        }

        public string Where(int position)
        {
            int line = Tree.GetLineSpan(new Microsoft.CodeAnalysis.Text.TextSpan(position, 0)).StartLinePosition.Line + 1;
            return "kernel/" + RelativePath.Replace(System.IO.Path.DirectorySeparatorChar, '/') + ":" + line;
        }
    }
}
