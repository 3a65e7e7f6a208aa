// The program's mounts, from its <UnikraftMount> items. Shared by the analyzers and the generator
// (this file is compiled into both), so both resolve a path to the same mount.
//
// MSBuild passes the items as one property, UnikraftMounts: items separated by '>', and each
// item's fields by '|': path|type|source|readonly|size. (Not ';': the property reaches the
// compiler through a .globalconfig file, where ';' starts a comment.)
using System;
using System.Collections.Generic;
using System.Globalization;

namespace Unikraft.Gen.Support
{
    internal sealed class MountEntry : IEquatable<MountEntry>
    {
        public MountEntry(string path, string type, string source, bool readOnly, long capacityBytes)
        {
            Path = path;
            Type = type;
            Source = source;
            ReadOnly = readOnly;
            CapacityBytes = capacityBytes;
        }

        public string Path { get; }

        // ramfs, initrd, hostfs or devfs.
        public string Type { get; }

        // The host folder (hostfs, initrd), as written in the item; empty for the others.
        public string Source { get; }

        public bool ReadOnly { get; }

        // The size limit of a ramfs or an initrd's ramfs.
        public long CapacityBytes { get; }

        public bool Equals(MountEntry? other) =>
            other is not null && Path == other.Path && Type == other.Type && Source == other.Source
            && ReadOnly == other.ReadOnly && CapacityBytes == other.CapacityBytes;

        public override bool Equals(object? obj) => Equals(obj as MountEntry);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Path) ^ StringComparer.Ordinal.GetHashCode(Type);

        public override string ToString() => Path + " (" + Type + (ReadOnly ? ", read-only" : "") + ")";
    }

    internal sealed class MountTable
    {
        public const long DefaultCapacityBytes = SizeText.DefaultCapacityBytes;

        public static readonly string[] Types = { "ramfs", "initrd", "hostfs", "devfs" };

        public const char ItemSeparator = '>';

        private MountTable(List<MountEntry> mounts, List<string> errors)
        {
            Mounts = mounts;
            Errors = errors;
        }

        // In the order written.
        public IReadOnlyList<MountEntry> Mounts { get; }

        // Each names the item and says what would be valid.
        public IReadOnlyList<string> Errors { get; }

        public static MountTable Parse(string? text)
        {
            var mounts = new List<MountEntry>();
            var errors = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string item in (text ?? "").Split(new[] { ItemSeparator }, StringSplitOptions.RemoveEmptyEntries))
            {
                string[] fields = item.Split('|');
                string path = fields[0].Trim();
                string type = fields.Length > 1 ? fields[1].Trim() : "";
                string source = fields.Length > 2 ? fields[2].Trim() : "";
                string readOnlyText = fields.Length > 3 ? fields[3].Trim() : "";
                string sizeText = fields.Length > 4 ? fields[4].Trim() : "";
                string name = "<UnikraftMount Include=\"" + path + "\">";

                string? pathProblem = CheckPath(path);
                if (pathProblem is not null)
                {
                    errors.Add(name + ": " + pathProblem);
                    continue;
                }

                if (Array.IndexOf(Types, type) < 0)
                {
                    errors.Add(name + ": Type '" + type + "' is not a file system this kernel has; valid: " + string.Join(", ", Types));
                    continue;
                }

                if ((type == "initrd" || type == "hostfs") && source.Length == 0)
                {
                    errors.Add(name + ": a " + type + " mount needs Source, the project folder it is made from");
                    continue;
                }

                if ((type == "ramfs" || type == "devfs") && source.Length > 0)
                {
                    errors.Add(name + ": a " + type + " mount has no Source (found '" + source + "'); use Type=\"initrd\" to start from a folder's files");
                    continue;
                }

                bool readOnly = false;
                if (readOnlyText.Length > 0 && !bool.TryParse(readOnlyText, out readOnly))
                {
                    errors.Add(name + ": ReadOnly '" + readOnlyText + "' is not true or false");
                    continue;
                }

                long capacity = DefaultCapacityBytes;
                if (sizeText.Length > 0 && !SizeText.TryParse(sizeText, out capacity))
                {
                    errors.Add(name + ": Size '" + sizeText + "' is not a size such as 65536, 512K, 64M or 1G");
                    continue;
                }

                if (!seen.Add(path))
                {
                    errors.Add(name + ": " + path + " is mounted twice; keep one item per mount point");
                    continue;
                }

                mounts.Add(new MountEntry(path, type, source, readOnly, capacity));
            }

            return new MountTable(mounts, errors);
        }

        // A mount point is absolute and normal: "/", or "/a/b" with no ".", "..", empty or trailing parts.
        public static string? CheckPath(string path)
        {
            if (path.Length == 0 || path[0] != '/')
            {
                return "the mount point '" + path + "' must be an absolute path such as /data";
            }

            if (path == "/")
            {
                return null;
            }

            if (path.EndsWith("/", StringComparison.Ordinal))
            {
                return "the mount point '" + path + "' must not end with '/'; write '" + path.TrimEnd('/') + "'";
            }

            foreach (string part in path.Substring(1).Split('/'))
            {
                if (part.Length == 0 || part == "." || part == ".." || part.IndexOf('\0') >= 0)
                {
                    return "the mount point '" + path + "' must not contain empty, '.' or '..' parts";
                }
            }

            return null;
        }

        // The mount a kernel path falls under (the longest mount point that prefixes it), after
        // normalizing "." and ".." the way the kernel's path walk does for a path with no symlinks.
        // A relative path is taken from "/", the kernel's working directory at boot.
        public MountEntry? Resolve(string path, out string normalized) => Resolve(Mounts, path, out normalized);

        public static MountEntry? Resolve(IReadOnlyList<MountEntry> mounts, string path, out string normalized)
        {
            normalized = Normalize(path);
            MountEntry? best = null;
            foreach (MountEntry mount in mounts)
            {
                bool under = mount.Path == "/"
                    || normalized == mount.Path
                    || normalized.StartsWith(mount.Path + "/", StringComparison.Ordinal);
                if (under && (best is null || mount.Path.Length > best.Path.Length))
                {
                    best = mount;
                }
            }

            return best;
        }

        // The mount point to suggest for a path under no mount, as an item MSBuild reads back
        // unchanged: the top folder of the path ("/srv" for "/srv/site/index.html"), or "/" for a
        // file right under the root ("tasks.txt", ".\tasks.txt": a backslash is a character of a
        // name on Linux, as the kernel and .NET read it) and for a folder whose name MSBuild would not
        // carry as written (it reads a backslash in an Include as '/', and ';', '%', '$', '@', '*',
        // '?' are its syntax).
        public static string SuggestMountPoint(string path)
        {
            string normalized = Normalize(path);
            int second = normalized.IndexOf('/', 1);
            if (second < 0)
            {
                return "/";
            }

            string folder = normalized.Substring(0, second);
            return folder.IndexOfAny(new[] { '\\', ';', '%', '$', '@', '*', '?', '"', '\'' }) >= 0 ? "/" : folder;
        }

        // Normalizes a kernel path: '/' is the only separator (a backslash is a character of a name,
        // as on Linux), "." and ".." are resolved as the kernel's path walk does when no symbolic link is
        // on the way, and a relative path is taken from "/".
        public static string Normalize(string path)
        {
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

            return "/" + string.Join("/", parts);
        }
    }
}

namespace Unikraft.Gen.Support
{
    using Microsoft.CodeAnalysis;
    using Microsoft.CodeAnalysis.Operations;

    // The path arguments of a file-system call: string parameters named as the BCL names paths.
    internal static class PathArguments
    {
        private static readonly string[] Names =
        {
            "path", "sourceFileName", "destFileName", "destinationFileName", "destinationBackupFileName",
            "sourceDirName", "destDirName", "fileName",
        };

        public static bool IsPathParameter(IParameterSymbol parameter) =>
            parameter.Type.SpecialType == SpecialType.System_String && Array.IndexOf(Names, parameter.Name) >= 0;

        // Each path argument: its constant value, or null when it is not known at compile time.
        public static List<(IArgumentOperation Argument, string? Value)> Of(IInvocationOperation invocation)
        {
            var result = new List<(IArgumentOperation, string?)>();
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                if (argument.Parameter is { } parameter && IsPathParameter(parameter))
                {
                    Optional<object?> constant = argument.Value.ConstantValue;
                    result.Add((argument, constant.HasValue ? constant.Value as string : null));
                }
            }

            return result;
        }
    }
}
