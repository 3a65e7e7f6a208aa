// `dotnet build -t:UnikraftExplain -p:UnikraftExplain=write`: the manifest's entry for one
// syscall, device, library, feature or mount, with the chain of call sites that needs it.
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text;
    using Microsoft.Build.Framework;

    public sealed class ExplainTask : Microsoft.Build.Utilities.Task
    {
        [Required]
        public string Manifest { get; set; } = "";

        [Required]
        public string Name { get; set; } = "";

        public override bool Execute()
        {
            string[] lines = File.ReadAllLines(Manifest);
            string section = "";
            StringBuilder found = new StringBuilder();
            SortedSet<string> names = new SortedSet<string>(StringComparer.Ordinal);
            for (int index = 0; index < lines.Length; index++)
            {
                string line = lines[index];
                if (line.Length > 0 && line[0] != ' ')
                {
                    section = line;
                    continue;
                }
                if (!line.StartsWith("  ", StringComparison.Ordinal) || line.StartsWith("   ", StringComparison.Ordinal))
                {
                    continue;
                }
                string entry = line.Substring(2);
                if (entry.StartsWith("stubbed:", StringComparison.Ordinal))
                {
                    if (Array.Exists(entry.Substring(8).Split(','), stub => stub.Trim().StartsWith(Name + " (", StringComparison.Ordinal)))
                    {
                        Log.LogMessage(MessageImportance.High, "'" + Name + "' is not in the kernel (" + Manifest + "): it is a one-line -ENOSYS stub, because no call site in the program needs it.");
                        return true;
                    }
                    continue;
                }
                if (section.StartsWith("Boot steps", StringComparison.Ordinal))
                {
                    continue;
                }
                int end = entry.IndexOf(' ');
                string first = end < 0 ? entry : entry.Substring(0, end);
                names.Add(first);
                if (first != Name)
                {
                    continue;
                }
                found.Append(section).Append('\n').Append(line).Append('\n');
                while (index + 1 < lines.Length && lines[index + 1].StartsWith("   ", StringComparison.Ordinal))
                {
                    index++;
                    found.Append(lines[index]).Append('\n');
                }
            }
            if (found.Length == 0)
            {
                Log.LogError("The kernel in " + Manifest + " holds no syscall, device, library, feature or mount named '" + Name + "'. It holds: " + string.Join(", ", names));
                return false;
            }
            Log.LogMessage(MessageImportance.High, "Why '" + Name + "' is in the kernel (" + Manifest + "):\n" + found.ToString().TrimEnd());
            return true;
        }
    }
}
