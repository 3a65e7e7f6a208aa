// mounts: /|ramfs|||>/tmp|ramfs|||1M
// Hands the kernel API's streams to the BCL: a StreamWriter over KernelFile.Create reads the
// stream's Position (Seek, so lseek) and a StreamReader reads it back, as UK0001's fix for
// 'new StreamWriter(path)' tells a program on sim or without the native layer to do.
using Unikraft.Kernel;

File.WriteAllText("/tmp/a.txt", "ants\nbees\n");
using (var writer = new StreamWriter(KernelFile.Create("/tmp/b.txt")))
{
    writer.Write("wasps");
}

using var reader = new StreamReader(KernelFile.OpenRead("/tmp/a.txt"));
Console.WriteLine(reader.ReadLine() + " " + File.ReadAllText("/tmp/b.txt"));
