// mounts: /|ramfs|||>/tmp|ramfs|||1M
// Writes, lists, reads back and deletes files in a ramfs.
Directory.CreateDirectory("/tmp/work");
File.WriteAllText("/tmp/work/b.txt", "bee");
File.WriteAllText("/tmp/work/a.txt", "ant");
File.AppendAllText("/tmp/work/a.txt", "s");
foreach (string file in Directory.GetFiles("/tmp/work").Order(StringComparer.Ordinal))
{
    Console.WriteLine(file + " = " + File.ReadAllText(file));
}

File.Delete("/tmp/work/b.txt");
Console.WriteLine("b exists after delete: " + File.Exists("/tmp/work/b.txt"));
