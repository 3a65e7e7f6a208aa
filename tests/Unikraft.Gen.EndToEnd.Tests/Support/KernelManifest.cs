namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

// The parts of <AssemblyName>.kernel.txt that the end-to-end tests check: the syscalls with a
// body, the stubbed ones, the devices and the libraries. Sections start at column 0; their
// entries are indented by two spaces and their reasons by more.
internal sealed partial class KernelManifest
{
    private KernelManifest(string text)
    {
        Text = text;
    }

    public string Text { get; }

    public SortedSet<string> ImplementedSyscalls { get; } = new SortedSet<string>(StringComparer.Ordinal);

    public SortedSet<string> StubbedSyscalls { get; } = new SortedSet<string>(StringComparer.Ordinal);

    public SortedSet<string> Devices { get; } = new SortedSet<string>(StringComparer.Ordinal);

    public SortedSet<string> Libraries { get; } = new SortedSet<string>(StringComparer.Ordinal);

    // The count the manifest states in its "Syscalls: N implemented" heading.
    public int StatedImplementedCount { get; private set; } = -1;

    public static KernelManifest Load(string path)
    {
        return Parse(File.ReadAllText(path));
    }

    public static KernelManifest Parse(string text)
    {
        var manifest = new KernelManifest(text);
        string section = "";
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line[0] != ' ')
            {
                Match heading = SyscallsHeading().Match(line);
                if (heading.Success)
                {
                    section = "syscalls";
                    manifest.StatedImplementedCount = int.Parse(heading.Groups[1].Value, CultureInfo.InvariantCulture);
                }
                else
                {
                    section = line.Trim();
                }
                continue;
            }
            if (!line.StartsWith("  ", StringComparison.Ordinal) || line.StartsWith("   ", StringComparison.Ordinal))
            {
                // A reason under an entry.
                continue;
            }
            string entry = line.Substring(2);
            switch (section)
            {
                case "syscalls":
                    if (entry.StartsWith("stubbed:", StringComparison.Ordinal))
                    {
                        foreach (Match stub in SyscallName().Matches(entry.Substring("stubbed:".Length)))
                        {
                            manifest.StubbedSyscalls.Add(stub.Groups[1].Value);
                        }
                    }
                    else
                    {
                        Match syscall = SyscallName().Match(entry);
                        if (syscall.Success && syscall.Index == 0)
                        {
                            manifest.ImplementedSyscalls.Add(syscall.Groups[1].Value);
                        }
                    }
                    break;
                case "Devices":
                    manifest.Devices.Add(FirstWord(entry));
                    break;
                case "Libraries":
                    manifest.Libraries.Add(FirstWord(entry));
                    break;
            }
        }
        return manifest;
    }

    private static string FirstWord(string entry)
    {
        int end = entry.IndexOf(' ', StringComparison.Ordinal);
        return end < 0 ? entry : entry.Substring(0, end);
    }

    [GeneratedRegex(@"^Syscalls: (\d+) implemented")]
    private static partial Regex SyscallsHeading();

    // "write (1)": a syscall's name and its Linux x86-64 number.
    [GeneratedRegex(@"([a-z_][a-z0-9_]*) \((\d+)\)")]
    private static partial Regex SyscallName();
}
