namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

// The NativeAOT compiler's size statistics (-p:IlcGenerateMstatFile=true writes obj/.../native/
// <name>.mstat). The file is an ECMA-335 assembly that names every type compiled into the image
// by a type reference, scoped by a reference to the assembly the type comes from; so the type
// references are the list of what the native binary holds, by assembly.
internal sealed class MstatFile
{
    private readonly Dictionary<string, SortedSet<string>> typesByAssembly = new(StringComparer.Ordinal);

    private MstatFile()
    {
    }

    public static MstatFile Load(string path)
    {
        var mstat = new MstatFile();
        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader reader = pe.GetMetadataReader();
        foreach (TypeReferenceHandle handle in reader.TypeReferences)
        {
            (string? assembly, string name) = Describe(reader, handle);
            if (assembly is null)
            {
                continue;
            }
            if (!mstat.typesByAssembly.TryGetValue(assembly, out SortedSet<string>? types))
            {
                types = new SortedSet<string>(StringComparer.Ordinal);
                mstat.typesByAssembly.Add(assembly, types);
            }
            types.Add(name);
        }
        return mstat;
    }

    public IReadOnlyCollection<string> Assemblies => typesByAssembly.Keys;

    // The full names of the types of one assembly in the image ("Unikraft.Kernel.Kernel",
    // "Unikraft.Kernel.Outer+Inner").
    public IReadOnlySet<string> TypesOf(string assembly) =>
        typesByAssembly.TryGetValue(assembly, out SortedSet<string>? types) ? types : new SortedSet<string>();

    private static (string? Assembly, string Name) Describe(MetadataReader reader, TypeReferenceHandle handle)
    {
        TypeReference type = reader.GetTypeReference(handle);
        string name = reader.GetString(type.Name);
        string ns = reader.GetString(type.Namespace);
        switch (type.ResolutionScope.Kind)
        {
            case HandleKind.AssemblyReference:
                AssemblyReference assembly = reader.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope);
                return (reader.GetString(assembly.Name), ns.Length > 0 ? ns + "." + name : name);
            case HandleKind.TypeReference:
                (string? outerAssembly, string outer) = Describe(reader, (TypeReferenceHandle)type.ResolutionScope);
                return (outerAssembly, outer + "+" + name);
            default:
                return (null, name);
        }
    }
}
