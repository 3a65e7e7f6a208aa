namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

// The confinement supervisor's reading of an open by path under the JIT: the path, read from the
// program's memory (the supervisor is a process of its own, ConfinementSupervisor), and whether it lies in one of the folders the Landlock ruleset allows
// (HostedLandlock). The answer only chooses between naming a refusal and letting the call go on
// to Landlock, which decides on the file the host kernel actually reaches; so a path taken as
// written (no symbolic link followed, "." and ".." resolved as names) is enough here.
internal sealed class PathCheck
{
    // NOTE: PATH_MAX from linux/limits.h, the longest path the host kernel reads.
    private const int PathMax = 4096;
    private const int ReadOnly = 0; // O_RDONLY
    private const int CloseOnExec = 0x80000; // O_CLOEXEC

    private readonly List<string> folders = new List<string>();
    private readonly string workingDirectory;

    // The program's /proc/<pid>/mem, read with pread64: an address the caller made up reads as an
    // error (EIO).
    private readonly int memory;
    private readonly nint buffer;

    public PathCheck(List<string> allowed, string workingDirectory, int pid)
    {
        this.workingDirectory = workingDirectory;
        foreach (string folder in allowed)
        {
            string normal = Normalize(folder);
            if (normal.Length > 0)
            {
                folders.Add(normal);
            }
        }
        memory = open("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/mem", ReadOnly | CloseOnExec);
        buffer = Marshal.AllocHGlobal(PathMax);
    }

    // The path at address, or null when it cannot be read or has no end within PATH_MAX.
    public string? Read(long address)
    {
        if (memory < 0 || address == 0)
        {
            return null;
        }
        int length = 0;
        while (length < PathMax)
        {
            // Page by page: a path ending just before an unmapped page still reads.
            int chunk = (int)Math.Min(PathMax - length, 4096 - ((address + length) & 4095));
            long read = pread64(memory, buffer + length, chunk, address + length);
            if (read <= 0)
            {
                return null;
            }
            for (int index = 0; index < read; index++)
            {
                if (Marshal.ReadByte(buffer, length + index) == 0)
                {
                    return Marshal.PtrToStringUTF8(buffer, length + index);
                }
            }
            length += (int)read;
        }
        return null;
    }

    // Whether path (relative ones from the working directory at boot) is one of the folders or
    // lies beneath one.
    public bool Allows(string path)
    {
        string normal = Normalize(path);
        foreach (string folder in folders)
        {
            if (normal.Length == folder.Length ? normal == folder
                : normal.Length > folder.Length && normal.StartsWith(folder, StringComparison.Ordinal) && (normal[folder.Length] == '/' || folder == "/"))
            {
                return true;
            }
        }
        return false;
    }

    // The absolute path, "." and ".." resolved as names and repeated slashes folded.
    private string Normalize(string path)
    {
        if (!path.StartsWith('/'))
        {
            path = workingDirectory + "/" + path;
        }
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        var builder = new StringBuilder();
        foreach (string part in parts)
        {
            builder.Append('/').Append(part);
        }
        return builder.Length == 0 ? "/" : builder.ToString();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern long pread64(int fd, nint buffer, long count, long offset);
}
