// kernelgraph <kernel folder> <output file>
// Builds the member graph of the kernel sources (see KernelGraph.cs) and checks the kernel's source
// conventions (docs/kernel-conventions.md). Any broken rule or compile error fails the build and
// names the file and line.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Unikraft.Gen.Graph;
using Unikraft.Gen.GraphTool;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: kernelgraph <kernel folder> <output graph file>");
    return 2;
}

string kernelFolder = Path.GetFullPath(args[0]);
string output = Path.GetFullPath(args[1]);
if (!Directory.Exists(kernelFolder))
{
    Console.Error.WriteLine($"kernelgraph: the kernel folder '{kernelFolder}' does not exist.");
    return 2;
}

var builder = new GraphBuilder(kernelFolder);
KernelGraph? graph = builder.Build();
foreach (string problem in builder.Problems)
{
    // MSBuild shows lines in this form as errors with their location.
    Console.Error.WriteLine(problem);
}

if (graph is null)
{
    return 1;
}

Directory.CreateDirectory(Path.GetDirectoryName(output)!);
string text = graph.Write();

// Writes through a temporary file so an interrupted build never leaves half a graph behind.
string temporary = output + ".tmp";
File.WriteAllText(temporary, text);
File.Move(temporary, output, overwrite: true);
Console.WriteLine($"kernelgraph: {graph.Files.Count} files, {graph.Symbols.Count} symbols, {graph.Symbols.Count(s => s.Syscall >= 0)} syscalls -> {output}");
return 0;
