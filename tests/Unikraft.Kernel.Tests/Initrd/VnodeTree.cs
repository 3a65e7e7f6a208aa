namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Xunit;

// Small helpers over the vnode interface for the file-system tests: walk a relative path
// component by component (never following symbolic links), read a file whole, list a tree.
internal static class VnodeTree
{
    public static long Walk(IVnode root, string path, out IVnode? vnode)
    {
        vnode = root;
        foreach (string component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            long found = vnode!.Lookup(component, out IVnode? next);
            if (found < 0)
            {
                vnode = null;
                return found;
            }
            vnode = next;
        }
        return 0;
    }

    public static IVnode Get(IVnode root, string path)
    {
        long found = Walk(root, path, out IVnode? vnode);
        Assert.True(found == 0 && vnode != null, path + ": " + Errno.Name((int)-found));
        return vnode!;
    }

    public static byte[] ReadAll(IVnode file)
    {
        Assert.Equal(0, file.GetAttributes(out Stat stat));
        byte[] content = new byte[stat.Size];
        long offset = 0;
        while (offset < content.Length)
        {
            long read = file.Read(offset, content.AsSpan((int)offset));
            Assert.True(read > 0, "read returned " + read);
            offset += read;
        }
        return content;
    }

    public static string ReadLink(IVnode link)
    {
        Assert.Equal(0, link.ReadLink(out string target));
        return target;
    }

    // Every path below directory, sorted, with a type letter: d, f or l.
    public static List<string> List(IVnode directory)
    {
        List<string> lines = new List<string>();
        ListInto(directory, "", lines);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static void ListInto(IVnode directory, string prefix, List<string> lines)
    {
        long cookie = 0;
        while (true)
        {
            long result = directory.ReadDirectory(cookie, out DirectoryEntry entry);
            Assert.True(result >= 0, "readdir: " + result);
            if (result == 0)
            {
                return;
            }
            cookie = entry.NextCookie;
            string path = prefix + entry.Name;
            Assert.Equal(0, directory.Lookup(entry.Name, out IVnode? child));
            char letter = child!.Type == Stat.S_IFDIR ? 'd' : child.Type == Stat.S_IFLNK ? 'l' : 'f';
            lines.Add(letter + " " + path);
            if (child.Type == Stat.S_IFDIR)
            {
                ListInto(child, path + "/", lines);
            }
        }
    }
}

// Runs a host program (cpio, sh) for the tests that check against the system's own tools.
internal static class HostTool
{
    public static (int ExitCode, byte[] Output, string Error) Run(string program, string arguments, string workingDirectory, byte[]? input = null)
    {
        ProcessStartInfo start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(program + " is needed by this test (Debian: apt-get install -y " + program + "): " + exception.Message);
        }
        using (process)
        {
            System.Threading.Tasks.Task<string> error = process.StandardError.ReadToEndAsync();
            MemoryStream output = new MemoryStream();
            System.Threading.Tasks.Task copy = process.StandardOutput.BaseStream.CopyToAsync(output);
            if (input != null)
            {
                process.StandardInput.BaseStream.Write(input);
            }
            process.StandardInput.Close();
            copy.Wait();
            process.WaitForExit();
            return (process.ExitCode, output.ToArray(), error.Result);
        }
    }

    public static byte[] Cpio(string arguments, string workingDirectory, byte[]? input = null)
    {
        (int code, byte[] output, string error) = Run("cpio", arguments, workingDirectory, input);
        Assert.True(code == 0, "cpio " + arguments + " failed (" + code + "): " + error);
        return output;
    }

    public static byte[] Utf8Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
}
