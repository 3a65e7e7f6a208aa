namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using Xunit;

// A folder under the system's temporary directory, removed with everything in it (links are
// removed, never followed) when the test ends.
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "uk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    // A tree with every kind of entry the initrd tests need: nested and empty directories,
    // text and binary files, symbolic links to a file and to a directory, and two names of one
    // file (a hard link).
    public static TempFolder Sample()
    {
        TempFolder folder = new TempFolder();
        folder.WriteFile("top.txt", "top\n"u8.ToArray());
        folder.MakeDirectory("dir/nested/deep");
        folder.MakeDirectory("dir/nested/empty");
        folder.WriteFile("dir/nested/deep/leaf.txt", "leaf"u8.ToArray());
        byte[] allBytes = new byte[1024];
        for (int index = 0; index < allBytes.Length; index++)
        {
            allBytes[index] = (byte)index;
        }
        folder.MakeDirectory("bin");
        folder.WriteFile("bin/all-bytes", allBytes);
        byte[] large = new byte[200_001];
        new Random(42).NextBytes(large);
        folder.WriteFile("bin/large", large);
        folder.Symlink("link-to-file", "top.txt");
        folder.Symlink("link-to-dir", "dir/nested");
        folder.WriteFile("hard-a", "shared\n"u8.ToArray());
        folder.HardLink("hard-b", "hard-a");
        return folder;
    }

    public string Full(string relative) => System.IO.Path.Combine(Path, relative);

    public void WriteFile(string relative, byte[] content)
    {
        File.WriteAllBytes(Full(relative), content);
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        File.SetUnixFileMode(Full(relative), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    public void MakeDirectory(string relative)
    {
        Directory.CreateDirectory(Full(relative));
    }

    public void Symlink(string relative, string target)
    {
        File.CreateSymbolicLink(Full(relative), target);
    }

    public void HardLink(string relative, string existing)
    {
        (int code, byte[] unused, string error) = HostTool.Run("ln", "-- " + Quote(Full(existing)) + " " + Quote(Full(relative)), Path);
        Assert.True(code == 0, "ln failed: " + error);
    }

    public static string Quote(string path) => "\"" + path.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public void Dispose()
    {
        try
        {
            MakeWritable(Path);
            Directory.Delete(Path, true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void MakeWritable(string directory)
    {
        foreach (string child in Directory.GetDirectories(directory))
        {
            if ((File.GetAttributes(child) & FileAttributes.ReparsePoint) == 0 && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(child, (UnixFileMode)0x1ED);
                MakeWritable(child);
            }
        }
    }
}
