// Writes log lines to /logs/app.log and rotates it by size the way copytruncate does: when the next
// line would pass the limit, app.log.1 moves to app.log.2, the log's contents are copied to
// app.log.1 and the log is truncated in place. Then shows the last lines of the log, read by
// seeking back from its end, and what the folder holds.
using System.Text;

const string LogPath = "/logs/app.log";
const long MaxBytes = 200;

int count = args.Length > 0 ? int.Parse(args[0]) : 10;
string source = args.Length > 1 ? args[1] : "worker";

int rotations = 0;
using (var log = new FileStream(LogPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read))
{
    log.Seek(0, SeekOrigin.End);
    Console.WriteLine($"opened {LogPath} at {log.Position} bytes");
    for (int i = 1; i <= count; i++)
    {
        byte[] entry = Encoding.UTF8.GetBytes($"{source} step {i}: ok\n");
        if (log.Length + entry.Length > MaxBytes)
        {
            Rotate(log);
            rotations++;
        }
        log.Write(entry, 0, entry.Length);
    }
    log.Flush();
}
Console.WriteLine($"rotated {rotations} times");

Console.WriteLine("tail:");
foreach (string line in Tail(LogPath, 3))
{
    Console.WriteLine("  " + line);
}
foreach (FileInfo file in new DirectoryInfo("/logs").GetFiles("app.log*").OrderBy(f => f.Name, StringComparer.Ordinal))
{
    using var reader = new StreamReader(file.FullName);
    string first = reader.ReadLine() ?? "";
    Console.WriteLine($"{file.Name}: {file.Length} bytes, first line \"{first}\"");
}

static void Rotate(FileStream log)
{
    const string Older = LogPath + ".2";
    const string Old = LogPath + ".1";
    if (File.Exists(Old))
    {
        File.Move(Old, Older, overwrite: true);
    }
    log.Seek(0, SeekOrigin.Begin);
    using (var copy = new FileStream(Old, FileMode.CreateNew, FileAccess.Write))
    {
        log.CopyTo(copy);
    }
    log.SetLength(0);
    log.Seek(0, SeekOrigin.Begin);
}

static IEnumerable<string> Tail(string path, int lines)
{
    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    long start = Math.Max(0, stream.Length - 4096);
    stream.Seek(start, SeekOrigin.Begin);
    var buffer = new byte[stream.Length - start];
    stream.ReadExactly(buffer);
    string[] all = Encoding.UTF8.GetString(buffer).TrimEnd('\n').Split('\n');
    return all.Skip(Math.Max(0, all.Length - lines));
}
