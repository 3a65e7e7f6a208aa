// A small file tool written the way .NET code usually is: constructors, instance members and
// streams rather than static helpers. None of these calls is redirected by an interceptor; in a
// NativeAOT image they reach the kernel through the BCL's own native layer.
using System.Text;

// Read a file line by line through a StreamReader over the initrd.
int total = 0;
using (var reader = new StreamReader("/etc/inventory.txt"))
{
    string? line;
    while ((line = reader.ReadLine()) != null)
    {
        total += int.Parse(line.Split(' ')[1]);
    }
}
Console.Out.WriteLine("inventory total: " + total);

// Write a report with a FileStream and a StreamWriter into scratch space, then copy, move and list.
Directory.CreateDirectory("/tmp/work");
using (var stream = new FileStream("/tmp/work/report.txt", FileMode.Create, FileAccess.Write))
using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
{
    writer.WriteLine("total=" + total);
}
File.Copy("/tmp/work/report.txt", "/tmp/work/copy.txt");
File.Move("/tmp/work/copy.txt", "/tmp/work/moved.txt");
foreach (FileInfo file in new DirectoryInfo("/tmp/work").EnumerateFiles().OrderBy(f => f.Name))
{
    Console.Out.WriteLine(file.Name + " " + file.Length);
}

// Keep a counter in the host folder with async I/O on the thread pool.
string counterPath = "/data/runs.txt";
int runs = File.Exists(counterPath) ? int.Parse(await File.ReadAllTextAsync(counterPath)) : 0;
await using (var counter = new FileStream(counterPath, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
{
    byte[] bytes = Encoding.UTF8.GetBytes((runs + 1).ToString());
    await counter.WriteAsync(bytes);
}
Console.Out.WriteLine("runs: " + (runs + 1) + ", cwd " + Environment.CurrentDirectory);

// A path outside every mount is the kernel's answer, not the host's.
Console.Out.WriteLine("host passwd visible: " + File.Exists("/etc/passwd"));
Directory.Delete("/tmp/work", recursive: true);
Console.Out.WriteLine("work left: " + Directory.Exists("/tmp/work"));
