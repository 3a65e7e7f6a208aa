// Reads a text from the kernel's initrd and writes its word counts into the hostfs folder, through
// the BCL's own streams: the reads and writes on the main thread, and one more file written from a
// thread-pool thread with asynchronous I/O. The program's own, for the native layer's JIT route.
using System.Text;

// Path.GetTempFileName creates its file through the native shim's mkstemps, which the kernel
// serves: the file is in the kernel's /tmp (a ramfs), never the host's.
if (args.Length > 0 && args[0] == "--temporary-file")
{
    string temporary = Path.GetTempFileName();
    Console.WriteLine("temporary file " + temporary + " " + new FileInfo(temporary).Length + " bytes");
    return 0;
}

// A function of the BCL's native shim that the kernel does not serve (the host's mount table)
// stops the program, naming it. UK0001 says so at build time; a user who silences it meets the
// same refusal at run time instead of the host's drives.
if (args.Length > 0 && args[0] == "--drives")
{
#pragma warning disable UK0001
    Console.WriteLine("drives " + DriveInfo.GetDrives().Length);
#pragma warning restore UK0001
    return 0;
}

string input = args.Length > 0 ? args[0] : "/texts/words.txt";
var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
int total = 0;
try
{
    using var reader = new StreamReader(input);
    string? line;
    while ((line = reader.ReadLine()) != null)
    {
        foreach (string word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            counts[word] = counts.GetValueOrDefault(word) + 1;
            total++;
        }
    }
}
catch (IOException exception)
{
    Console.WriteLine("File Error: " + exception.GetType().Name);
    return 1;
}

using (var stream = new FileStream("/out/counts.txt", FileMode.Create, FileAccess.Write))
using (var writer = new StreamWriter(stream))
{
    foreach (KeyValuePair<string, int> pair in counts)
    {
        writer.WriteLine(pair.Key + " " + pair.Value);
    }
}

string summary = counts.Count + " distinct words, " + total + " in all";
int written = await Task.Run(async () =>
{
    byte[] bytes = Encoding.UTF8.GetBytes(summary + "\n");
    await using var stream = new FileStream("/out/summary.txt", FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true);
    await stream.WriteAsync(bytes);
    return bytes.Length;
});

using (var check = new StreamReader(new FileStream("/out/counts.txt", FileMode.Open, FileAccess.Read)))
{
    Console.WriteLine("the: " + check.ReadToEnd().Split('\n').First(l => l.StartsWith("the ", StringComparison.Ordinal)));
}
Console.WriteLine(summary + " (" + written + " bytes from the pool)");
return 0;
