// Disk usage of a folder, as du and tree show it: each folder with the size of everything below
// it, then the largest files and the count by extension.
string root = args.Length > 0 ? args[0] : "/srv";
var top = new DirectoryInfo(root);
if (!top.Exists)
{
    Console.Error.WriteLine("no such folder: " + root);
    return 2;
}

PrintTree(top, "");

List<FileInfo> files = top.EnumerateFiles("*", SearchOption.AllDirectories).ToList();
Console.WriteLine();
Console.WriteLine("largest files:");
foreach (FileInfo file in files.OrderByDescending(f => f.Length).ThenBy(f => f.FullName, StringComparer.Ordinal).Take(3))
{
    Console.WriteLine($"  {file.Length,6}  {Path.GetRelativePath(root, file.FullName)}");
}

Console.WriteLine("by extension:");
foreach (var group in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
    .GroupBy(path => Path.GetExtension(path).ToLowerInvariant())
    .OrderBy(g => g.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"  {(group.Key.Length == 0 ? "(none)" : group.Key)}: {group.Count()} files, {group.Sum(path => new FileInfo(path).Length)} bytes");
}
Console.WriteLine($"total: {files.Count} files, {top.EnumerateDirectories("*", SearchOption.AllDirectories).Count()} folders, {Size(top)} bytes");
return 0;

static long Size(DirectoryInfo folder)
{
    return folder.EnumerateFiles().Sum(file => file.Length) + folder.EnumerateDirectories().Sum(Size);
}

static void PrintTree(DirectoryInfo folder, string indent)
{
    Console.WriteLine($"{indent}{folder.Name}/ ({Size(folder)} bytes)");
    foreach (DirectoryInfo child in folder.GetDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
    {
        PrintTree(child, indent + "  ");
    }
    foreach (FileInfo file in folder.GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
    {
        Console.WriteLine($"{indent}  {file.Name} {file.Length}");
    }
}
