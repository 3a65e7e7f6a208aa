namespace PlainJournal;

using System;
using System.Collections.Generic;
using System.IO;

// A line-per-entry journal file, written the way libraries usually do it: a StreamWriter opened
// for appending, a FileInfo for the size, File.ReadAllLines to read it back.
public sealed class Journal
{
    private readonly string path;

    public Journal(string path)
    {
        this.path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    }

    public void Append(string entry)
    {
        using var writer = new StreamWriter(path, append: true);
        writer.WriteLine(entry);
    }

    public IReadOnlyList<string> Entries() => File.Exists(path) ? File.ReadAllLines(path) : Array.Empty<string>();

    public long SizeInBytes => new FileInfo(path).Length;
}
