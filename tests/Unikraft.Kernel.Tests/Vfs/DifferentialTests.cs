namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

// The VFS and ramfs against Linux's tmpfs: seeded random sequences of file operations run
// through our syscalls on a ramfs at "/" and through real Linux syscalls in a fresh directory
// under /dev/shm. Every result, errno, byte read, sorted directory listing, mode (type and
// permission bits, after the umask 022 both sides have) and access and modification time must
// match, and so must the whole tree at the end. Times are compared as what they were set to:
// one of the explicit times utimensat and futimens set (past, before 1970, after 2038), or
// "now" (the kernel's clock and the host's differ); access times of symbolic links are left
// out (Linux moves them on every readlink and walk through the link, the kernel never does, as
// a noatime mount). A mismatch prints the seed and the shortest failing sequence found.
// UNIKRAFT_DIFF_SEQUENCES runs more sequences, UNIKRAFT_DIFF_SEED starts at that seed (alone:
// runs only that one).
//
// The second test runs the Linux side in a chroot, so absolute paths, absolute link targets and
// ".." above the root mean on Linux what they mean to the kernel; chroot needs CAP_SYS_CHROOT.
public class DifferentialTests
{
    private const int DefaultSequences = 10000;
    private const int DefaultJailedSequences = 3000;
    private const int OperationsPerSequence = 50;

    private readonly ITestOutputHelper output;

    public DifferentialTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    [Fact]
    public void RandomFileOperations_MatchLinuxTmpfs()
    {
        RunSequences(jailed: false, DefaultSequences);
    }

    [HostCapabilityFact(HostCapability.SysChroot)]
    public void RandomFileOperations_WithAbsolutePathsAndDotDotAboveTheRoot_MatchLinuxInAChroot()
    {
        HostCapabilities.Require(HostCapability.SysChroot);
        RunSequences(jailed: true, DefaultJailedSequences);
    }

    private void RunSequences(bool jailed, int defaultSequences)
    {
        // Without Linux and its tmpfs there is nothing to compare with: that is a failure that says
        // why, never a pass.
        Assert.True(OperatingSystem.IsLinux() && System.IO.Directory.Exists("/dev/shm"),
            "the differential test compares with Linux's tmpfs under /dev/shm, and this machine has none");
        int sequences = ReadCount("UNIKRAFT_DIFF_SEQUENCES", defaultSequences);
        int firstSeed = ReadCount("UNIKRAFT_DIFF_SEED", 1);
        if (Environment.GetEnvironmentVariable("UNIKRAFT_DIFF_SEED") != null &&
            Environment.GetEnvironmentVariable("UNIKRAFT_DIFF_SEQUENCES") == null)
        {
            sequences = 1;
        }
        using DiffRoot root = new DiffRoot(jailed);
        Stopwatch watch = Stopwatch.StartNew();
        // The Linux side runs on a thread of its own: its umask (and, jailed, its root) are that
        // thread's only.
        LinuxJail.RunOnOwnThread(() =>
        {
            for (int seed = firstSeed; seed < firstSeed + sequences; seed++)
            {
                List<FileOp> ops = FileOp.Generate(seed, OperationsPerSequence, jailed);
                string? failure = root.Run(ops);
                if (failure != null)
                {
                    List<FileOp> shortest = Shrink(root, ops);
                    string? shortFailure = root.Run(shortest);
                    Assert.Fail("seed " + seed + (jailed ? " (jailed)" : "") + " differs from Linux: " + failure + Environment.NewLine +
                        "shortest failing sequence (" + shortest.Count + " ops):" + Environment.NewLine +
                        string.Join(Environment.NewLine, shortest.Select(op => "  " + op)) + Environment.NewLine +
                        "its difference: " + shortFailure);
                }
            }
        });
        output.WriteLine(sequences + " sequences of " + OperationsPerSequence + " operations in " + watch.ElapsedMilliseconds + " ms");
        foreach (KeyValuePair<string, int> outcome in root.Outcomes.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            output.WriteLine(outcome.Key + ": " + outcome.Value);
        }
        // The sequences reached what they are for: created modes, explicit and "now" times,
        // and, jailed, absolute paths and ".." above the root that succeed.
        Assert.True(root.Outcomes.GetValueOrDefault("utimensat ok") > 0 && root.Outcomes.GetValueOrDefault("futimens ok") > 0,
            "no utimensat or futimens succeeded");
        Assert.True(root.Outcomes.GetValueOrDefault("access ok") > 0 && root.Outcomes.GetValueOrDefault("access -EACCES") > 0,
            "faccessat never both granted and refused (X_OK on a file without execute bits)");
        if (jailed)
        {
            Assert.True(root.Outcomes.GetValueOrDefault("absolute ok") > 0 && root.Outcomes.GetValueOrDefault("dotdot-above-root ok") > 0,
                "no operation on an absolute path or a path through .. above the root succeeded");
        }
    }

    // The prefix up to the first difference, then single operations removed while it still
    // fails (operations refer to handles by index, so any subsequence still runs).
    private static List<FileOp> Shrink(DiffRoot root, List<FileOp> ops)
    {
        List<FileOp> current = ops;
        for (int length = 1; length <= ops.Count; length++)
        {
            List<FileOp> prefix = ops.Take(length).ToList();
            if (root.Run(prefix) != null)
            {
                current = prefix;
                break;
            }
        }
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int index = current.Count - 1; index >= 0; index--)
            {
                List<FileOp> candidate = new List<FileOp>(current);
                candidate.RemoveAt(index);
                if (candidate.Count > 0 && root.Run(candidate) != null)
                {
                    current = candidate;
                    changed = true;
                }
            }
        }
        return current;
    }

    private static int ReadCount(string name, int fallback)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        return text != null && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
    }
}

// A directory under /dev/shm that each run empties and uses as the Linux root.
internal sealed class DiffRoot : IDisposable
{
    private readonly string path;
    private readonly int rootFd;
    private readonly LinuxJail? jail;

    // How often each operation ended with each result class (a number, an errno, a listing),
    // so a run shows which paths the sequences exercised.
    public Dictionary<string, int> Outcomes { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    public DiffRoot(bool jailed)
    {
        path = "/dev/shm/unikraft-diff-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        System.IO.Directory.CreateDirectory(path + "/root");
        rootFd = (int)LinuxFiles.OpenAt(OpenFlags.AT_FDCWD, path + "/root", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        Assert.True(rootFd >= 0, "cannot open " + path + "/root: " + rootFd);
        jail = jailed ? new LinuxJail(rootFd) : null;
    }

    // Runs ops on a fresh kernel and a fresh Linux directory; null when both agree throughout.
    public string? Run(List<FileOp> ops)
    {
        LinuxFiles.Empty(rootFd);
        // The Linux root outlives a run: its times go back to "now", as a fresh ramfs root's.
        LinuxFiles.Utimensat(rootFd, ".", null, 0);
        KernelSide ours = new KernelSide();
        LinuxSide linux = new LinuxSide(rootFd, jail);
        List<(long Ours, long Linux)> handles = new List<(long, long)>();
        try
        {
            for (int index = 0; index < ops.Count; index++)
            {
                long pending = -1;
                string ourResult = ops[index].Apply(ours, handles, true, ref pending);
                string linuxResult = ops[index].Apply(linux, handles, false, ref pending);
                string outcome = ops[index].Kind + " " + (ourResult.StartsWith('-') ? ourResult : ourResult.StartsWith("skip", StringComparison.Ordinal) ? "skip" : "ok");
                Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;
                string? pathClass = ops[index].UsesPath ? FileOp.PathClass(ops[index].Path) : null;
                if (pathClass != null)
                {
                    string classOutcome = pathClass + (ourResult.StartsWith('-') ? " " + ourResult : " ok");
                    Outcomes[classOutcome] = Outcomes.GetValueOrDefault(classOutcome) + 1;
                }
                if (ourResult != linuxResult)
                {
                    return "op " + index + " " + ops[index] + ": ours " + ourResult + ", Linux " + linuxResult;
                }
            }
            string ourTree = Tree(ours, ".");
            string linuxTree = Tree(linux, ".");
            if (ourTree != linuxTree)
            {
                return "final trees differ:" + Environment.NewLine + "ours:" + Environment.NewLine + ourTree +
                    "Linux:" + Environment.NewLine + linuxTree;
            }
            return null;
        }
        finally
        {
            foreach ((long _, long linuxFd) in handles)
            {
                if (linuxFd >= 0)
                {
                    linux.Close((int)linuxFd);
                }
            }
        }
    }

    public void Dispose()
    {
        LinuxFiles.Empty(rootFd);
        jail?.Dispose();
        LinuxFiles.Call(LinuxFiles.Close, rootFd);
        System.IO.Directory.Delete(path, true);
    }

    // Every name under directory, with type, size, link count, and content or link target.
    private static string Tree(IFileSide side, string directory)
    {
        StringBuilder builder = new StringBuilder();
        List<string> names = FileOp.List(side, directory, 4096, out long opened);
        if (opened < 0)
        {
            return "unreadable " + directory + " " + opened + "\n";
        }
        foreach (string name in names)
        {
            if (name == "." || name == "..")
            {
                continue;
            }
            string child = directory + "/" + name;
            side.Stat(child, OpenFlags.AT_SYMLINK_NOFOLLOW, out FileFacts facts);
            int type = facts.Mode & Stat.S_IFMT;
            builder.Append(child).Append(' ').Append(FileOp.StatText(facts));
            if (type == Stat.S_IFREG)
            {
                builder.Append(' ').Append(FileOp.Cat(side, child));
            }
            else if (type == Stat.S_IFLNK)
            {
                byte[] target = new byte[256];
                long length = side.Readlink(child, target);
                builder.Append(" -> ").Append(Encoding.UTF8.GetString(target, 0, (int)Math.Max(0, length)));
            }
            builder.Append('\n');
            if (type == Stat.S_IFDIR)
            {
                builder.Append(Tree(side, child));
            }
        }
        return builder.ToString();
    }
}

// One operation of a sequence, generated from a seed without looking at results, so the same
// seed gives the same sequence and any subsequence can run.
internal sealed class FileOp
{
    private static readonly string[] Paths =
    {
        "a", "b", "c", "d", "e", "d/a", "d/b", "d/e", "d/e/a", "e/a", "e/b",
        "a", "b", "c", "d", "e", "a", "b", "d", "e", "d/a", "e/a", "d/b",
        "a/", "d/", "d/.", "d/../a", "d//b", "d/e/../a", "c/a", ".", "e/", "d/e/",
    };

    // Jailed runs add paths that are absolute or climb above the root: the kernel and a chroot
    // both stop ".." at "/".
    private static readonly string[] JailedPaths =
    {
        "/a", "/b", "/d", "/d/a", "/d/e", "/d/e/a", "/e/b", "/", "/.", "/..", "..", "../a", "../d/b", "../../e", "d/../../a",
        "/../d", "/../../b", "d/e/../../../e/a", "../d/", "/d/../..",
    };

    private static readonly string[] Targets = { "a", "b", "d", "e", "d/a", "x", "e/a", "c", "a/" };

    private static readonly string[] JailedTargets = { "/a", "/d", "/d/e/a", "/../b", "../a", "../../d", "/", "..", "/x" };

    private static readonly string[] Kinds =
    {
        "open", "open", "open", "open", "open", "close", "mkdir", "read", "read", "write", "write", "write", "pread", "pwrite",
        "lseek", "lseek", "ftruncate", "rename", "rename", "unlink", "mkdir", "mkdir", "rmdir", "symlink",
        "readlink", "link", "getdents", "stat", "stat", "fstat", "cat", "dup", "openat", "getdents-handle", "getdents-handle",
        "utimensat", "utimensat", "futimens", "access",
    };

    // Creation modes, with set-user-ID, set-group-ID and sticky bits: 0644, 0777, 0, 07777,
    // 0444, 04666 for files, 0755, 0777, 07777, 01777, 0, 02755 for directories.
    private static readonly int[] FileModes = { 0x1A4, 0x1FF, 0x0, 0xFFF, 0x124, 0x9B6 };

    private static readonly int[] DirectoryModes = { 0x1ED, 0x1FF, 0xFFF, 0x3FF, 0x0, 0x5ED };

    // The explicit times utimensat and futimens set: 2001, 2000 at its last nanosecond, a day
    // and a second before 1970, 2100 (past 2038), and one second after the epoch. A stat shows
    // a time as "E<index>" when it is one of these, else "now".
    private static readonly (long Seconds, long Nanoseconds)[] ExplicitTimes =
    {
        (1_000_000_000, 500_000_000), (978_307_199, 999_999_999), (-86_401, 1), (4_102_444_800, 250_000_000), (1, 0),
    };

    // One time of a utimensat pair: an explicit time, UTIME_NOW, UTIME_OMIT, or an invalid
    // nanosecond count (EINVAL).
    private static readonly (long Seconds, long Nanoseconds)[] TimeChoices =
    {
        ExplicitTimes[0], ExplicitTimes[1], ExplicitTimes[2], ExplicitTimes[3], ExplicitTimes[4],
        (5, OpenFlags.UTIME_NOW), (5, OpenFlags.UTIME_OMIT), (5, OpenFlags.UTIME_OMIT), (5, 1_000_000_000), (5, -1),
    };

    private FileOp(string kind, string path, string path2, int flags, int handle, long offset, int length, byte fill, int mode, long[]? times)
    {
        Kind = kind;
        Path = path;
        Path2 = path2;
        Flags = flags;
        Handle = handle;
        Offset = offset;
        Length = length;
        Fill = fill;
        Mode = mode;
        Times = times;
    }

    public int Mode { get; }

    // Whether the operation takes Path (the others work on a handle).
    public bool UsesPath => Kind is "open" or "openat" or "mkdir" or "unlink" or "rename" or "symlink" or "readlink" or "link" or
        "stat" or "getdents" or "cat" or "utimensat" or "access";

    // utimensat's times: null for "both now", else access then modification (seconds,
    // nanoseconds).
    public long[]? Times { get; }

    public string Kind { get; }

    public string Path { get; }

    public string Path2 { get; }

    public int Flags { get; }

    public int Handle { get; }

    public long Offset { get; }

    public int Length { get; }

    public byte Fill { get; }

    public static List<FileOp> Generate(int seed, int count, bool jailed)
    {
        Random random = new Random(seed);
        List<FileOp> ops = new List<FileOp>(count);
        for (int index = 0; index < count; index++)
        {
            string kind = Kinds[random.Next(Kinds.Length)];
            string path = PickPath(random, jailed);
            string path2 = kind == "symlink"
                ? (jailed && random.Next(2) == 0 ? JailedTargets[random.Next(JailedTargets.Length)] : Targets[random.Next(Targets.Length)])
                : PickPath(random, jailed);
            int flags = 0;
            int mode = 0;
            long[]? times = null;
            switch (kind)
            {
                case "open":
                case "openat":
                    flags = random.Next(3);
                    flags |= random.Next(2) == 0 ? OpenFlags.O_CREAT : 0;
                    flags |= random.Next(7) == 0 ? OpenFlags.O_EXCL : 0;
                    flags |= random.Next(5) == 0 ? OpenFlags.O_TRUNC : 0;
                    flags |= random.Next(5) == 0 ? OpenFlags.O_APPEND : 0;
                    flags |= random.Next(10) == 0 ? OpenFlags.O_DIRECTORY : 0;
                    flags |= random.Next(10) == 0 ? OpenFlags.O_NOFOLLOW : 0;
                    mode = FileModes[random.Next(FileModes.Length)];
                    break;
                case "mkdir":
                    mode = DirectoryModes[random.Next(DirectoryModes.Length)];
                    break;
                case "access":
                    // F_OK, X_OK, W_OK, R_OK, all three, or an unknown bit (EINVAL).
                    flags = new[] { 0, 1, 1, 2, 4, 7, 8 }[random.Next(7)];
                    break;
                case "rename":
                    flags = random.Next(3) == 0 ? OpenFlags.RENAME_NOREPLACE : 0;
                    break;
                case "unlink":
                case "rmdir":
                    flags = kind == "rmdir" ? OpenFlags.AT_REMOVEDIR : 0;
                    break;
                case "link":
                    flags = random.Next(3) == 0 ? OpenFlags.AT_SYMLINK_FOLLOW : 0;
                    break;
                case "stat":
                    flags = random.Next(2) == 0 ? OpenFlags.AT_SYMLINK_NOFOLLOW : 0;
                    break;
                case "lseek":
                    flags = random.Next(10) == 0 ? 7 : random.Next(3);
                    break;
                case "utimensat":
                case "futimens":
                    int flagChoice = random.Next(12);
                    flags = kind == "futimens" ? (flagChoice == 0 ? OpenFlags.AT_SYMLINK_NOFOLLOW : 0)
                        : flagChoice == 0 ? 0x4 : flagChoice < 6 ? OpenFlags.AT_SYMLINK_NOFOLLOW : 0;
                    if (random.Next(6) != 0)
                    {
                        (long accessSeconds, long accessNanoseconds) = TimeChoices[random.Next(TimeChoices.Length)];
                        (long modifySeconds, long modifyNanoseconds) = TimeChoices[random.Next(TimeChoices.Length)];
                        times = new[] { accessSeconds, accessNanoseconds, modifySeconds, modifyNanoseconds };
                    }
                    break;
            }
            long offset = kind == "lseek" ? random.Next(-20, 120) : kind == "ftruncate" ? random.Next(-2, 100) : random.Next(0, 100);
            int length = kind == "readlink" ? random.Next(0, 6) : kind == "getdents" ? random.Next(16, 200) : random.Next(0, 64);
            ops.Add(new FileOp(kind == "rmdir" ? "unlink" : kind, path, path2, flags, random.Next(16), offset, length, (byte)random.Next(256),
                mode, times));
        }
        return ops;
    }

    // "absolute" or "dotdot-above-root" for the jailed paths, so a run can show it reached them.
    public static string? PathClass(string path)
    {
        if (Array.IndexOf(JailedPaths, path) < 0)
        {
            return null;
        }
        int depth = 0;
        foreach (string component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            depth += component == ".." ? -1 : component == "." ? 0 : 1;
            if (depth < 0)
            {
                return "dotdot-above-root";
            }
        }
        return path.StartsWith('/') ? "absolute" : null;
    }

    private static string PickPath(Random random, bool jailed)
    {
        return jailed && random.Next(3) == 0 ? JailedPaths[random.Next(JailedPaths.Length)] : Paths[random.Next(Paths.Length)];
    }

    // Runs the operation on one side and describes what it returned; ours says which side, so
    // handles (pairs of fds) are updated once per pair of runs.
    public string Apply(IFileSide side, List<(long Ours, long Linux)> handles, bool ours, ref long pending)
    {
        int fd = -1;
        int handleIndex = handles.Count == 0 ? -1 : Handle % handles.Count;
        if (handleIndex >= 0)
        {
            fd = (int)(ours ? handles[handleIndex].Ours : handles[handleIndex].Linux);
        }
        switch (Kind)
        {
            case "open":
            {
                long result = side.Open(Path, Flags, Mode);
                Remember(handles, ours, result, ref pending);
                return DescribeFd(result);
            }
            case "getdents-handle":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                byte[] buffer = new byte[Length * 2];
                long result = side.Getdents(fd, buffer);
                return Describe(result) + (result > 0 ? " " + string.Join(",", LinuxFiles.DirentNames(buffer.AsSpan(0, (int)result))) : "");
            }
            case "openat":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                long result = side.OpenAt(fd, Path, Flags, Mode);
                Remember(handles, ours, result, ref pending);
                return DescribeFd(result);
            }
            case "dup":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                long result = side.Dup(fd);
                Remember(handles, ours, result, ref pending);
                return DescribeFd(result);
            }
            case "close":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                long result = side.Close(fd);
                if (!ours)
                {
                    handles.RemoveAt(handleIndex);
                }
                return Describe(result);
            }
            case "read":
            case "pread":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                byte[] buffer = new byte[Length];
                long result = Kind == "read" ? side.Read(fd, buffer) : side.Pread(fd, buffer, Offset);
                return Describe(result) + (result > 0 ? " " + Convert.ToHexString(buffer, 0, (int)result) : "");
            }
            case "write":
            case "pwrite":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                byte[] data = Data();
                return Describe(Kind == "write" ? side.Write(fd, data) : side.Pwrite(fd, data, Offset));
            }
            case "lseek":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                // A directory's position is the file system's own cookie (tmpfs's differ from
                // ours), so on a directory only a rewind is compared, and only its success.
                if (side.Fstat(fd, out FileFacts directory) == 0 && (directory.Mode & Stat.S_IFMT) == Stat.S_IFDIR)
                {
                    long rewound = side.Lseek(fd, 0, OpenFlags.SEEK_SET);
                    return rewound < 0 ? Describe(rewound) : "rewound";
                }
                return Describe(side.Lseek(fd, Offset, Flags));
            }
            case "ftruncate":
                return fd < 0 ? "skip" : Describe(side.Ftruncate(fd, Offset));
            case "fstat":
            {
                if (fd < 0)
                {
                    return "skip";
                }
                long result = side.Fstat(fd, out FileFacts facts);
                return Describe(result) + (result == 0 ? " " + StatText(facts) : "");
            }
            case "rename":
                return Describe(side.Rename(Path, Path2, Flags));
            case "unlink":
                return Describe(side.Unlink(Path, Flags));
            case "mkdir":
                return Describe(side.Mkdir(Path, Mode));
            case "symlink":
                return Describe(side.Symlink(Path2, Path));
            case "link":
                return Describe(side.Link(Path, Path2, Flags));
            case "readlink":
            {
                byte[] buffer = new byte[Length];
                long result = side.Readlink(Path, buffer);
                return Describe(result) + (result > 0 ? " " + Encoding.UTF8.GetString(buffer, 0, (int)result) : "");
            }
            case "stat":
            {
                long result = side.Stat(Path, Flags, out FileFacts facts);
                return Describe(result) + (result == 0 ? " " + StatText(facts) : "");
            }
            case "utimensat":
                return Describe(side.Utimensat(Path, -1, Times, Flags));
            case "futimens":
                return fd < 0 ? "skip" : Describe(side.Utimensat(null, fd, Times, Flags));
            case "access":
                return Describe(side.Access(Path, Flags));
            case "getdents":
            {
                List<string> names = List(side, Path, Length, out long opened);
                return opened < 0 ? Describe(opened) : string.Join(",", names);
            }
            case "cat":
                return Cat(side, Path);
            default:
                throw new InvalidOperationException(Kind);
        }
    }

    // Opens path as a directory, reads every entry with a buffer of bufferLength bytes, closes;
    // the names sorted (or the failing result in opened).
    public static List<string> List(IFileSide side, string path, int bufferLength, out long opened)
    {
        List<string> names = new List<string>();
        opened = side.Open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        if (opened < 0)
        {
            return names;
        }
        byte[] buffer = new byte[bufferLength];
        for (int round = 0; round < 1000; round++)
        {
            long read = side.Getdents((int)opened, buffer);
            if (read <= 0)
            {
                if (read < 0)
                {
                    names.Add("error" + read);
                }
                break;
            }
            names.AddRange(LinuxFiles.DirentNames(buffer.AsSpan(0, (int)read)));
        }
        side.Close((int)opened);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public static string Cat(IFileSide side, string path)
    {
        long fd = side.Open(path, OpenFlags.O_RDONLY, 0);
        if (fd < 0)
        {
            return DescribeFd(fd);
        }
        StringBuilder builder = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (true)
        {
            long read = side.Read((int)fd, buffer);
            if (read <= 0)
            {
                builder.Append(read < 0 ? " " + Describe(read) : "");
                break;
            }
            builder.Append(Convert.ToHexString(buffer, 0, (int)read));
        }
        side.Close((int)fd);
        return "[" + builder + "]";
    }

    public override string ToString()
    {
        switch (Kind)
        {
            case "open": return "open(\"" + Path + "\", " + OpenFlagsText(Flags) + ", 0" + Convert.ToString(Mode, 8) + ")";
            case "openat": return "openat(handle " + Handle + ", \"" + Path + "\", " + OpenFlagsText(Flags) + ", 0" + Convert.ToString(Mode, 8) + ")";
            case "rename": return "renameat2(\"" + Path + "\", \"" + Path2 + "\", " + Flags + ")";
            case "link": return "linkat(\"" + Path + "\", \"" + Path2 + "\", " + Flags + ")";
            case "symlink": return "symlink(\"" + Path2 + "\", \"" + Path + "\")";
            case "unlink": return (Flags != 0 ? "rmdir" : "unlink") + "(\"" + Path + "\")";
            case "access": return "faccessat(\"" + Path + "\", " + Flags + ")";
            case "utimensat": return "utimensat(\"" + Path + "\", " + TimesText(Times) + ", flags " + Flags + ")";
            case "futimens": return "futimens(handle " + Handle + ", " + TimesText(Times) + ", flags " + Flags + ")";
            case "mkdir": return "mkdir(\"" + Path + "\", 0" + Convert.ToString(Mode, 8) + ")";
            case "cat":
            case "getdents":
            case "stat":
            case "readlink":
                return Kind + "(\"" + Path + "\", flags " + Flags + ", length " + Length + ")";
            default:
                return Kind + "(handle " + Handle + ", offset " + Offset + ", length " + Length + ", whence " + Flags + ")";
        }
    }

    private static void Remember(List<(long Ours, long Linux)> handles, bool ours, long result, ref long pending)
    {
        if (ours)
        {
            pending = result;
        }
        else if (pending >= 0 && result >= 0)
        {
            handles.Add((pending, result));
        }
    }

    private byte[] Data()
    {
        byte[] data = new byte[Length];
        for (int index = 0; index < data.Length; index++)
        {
            data[index] = (byte)(Fill + index);
        }
        return data;
    }

    private static string Describe(long result)
    {
        if (result < 0)
        {
            return "-" + Errno.Name((int)-result);
        }
        return result.ToString(CultureInfo.InvariantCulture);
    }

    // fd numbers differ between the sides; only success or the errno is compared.
    private static string DescribeFd(long result)
    {
        return result < 0 ? Describe(result) : "fd";
    }

    public static string StatText(FileFacts facts)
    {
        int type = facts.Mode & Stat.S_IFMT;
        return "type=" + type.ToString("x", CultureInfo.InvariantCulture) + " mode=" + Convert.ToString(facts.Mode & 0xFFF, 8) +
            " size=" + facts.Size + " nlink=" + facts.LinkCount +
            " atime=" + (type == Stat.S_IFLNK ? "-" : TimeText(facts.AccessSeconds, facts.AccessNanoseconds)) +
            " mtime=" + TimeText(facts.ModifySeconds, facts.ModifyNanoseconds);
    }

    private static string TimeText(long seconds, long nanoseconds)
    {
        int index = Array.IndexOf(ExplicitTimes, (seconds, nanoseconds));
        return index < 0 ? "now" : "E" + index.ToString(CultureInfo.InvariantCulture);
    }

    private static string TimesText(long[]? times)
    {
        if (times == null)
        {
            return "NULL";
        }
        return "{" + TimeText(times[0], times[1]) + "/" + times[0] + "." + times[1] + ", " + TimeText(times[2], times[3]) + "/" + times[2] + "." + times[3] + "}";
    }

    private static string OpenFlagsText(int flags)
    {
        List<string> parts = new List<string> { (flags & 3) == 0 ? "O_RDONLY" : (flags & 3) == 1 ? "O_WRONLY" : "O_RDWR" };
        if ((flags & OpenFlags.O_CREAT) != 0) parts.Add("O_CREAT");
        if ((flags & OpenFlags.O_EXCL) != 0) parts.Add("O_EXCL");
        if ((flags & OpenFlags.O_TRUNC) != 0) parts.Add("O_TRUNC");
        if ((flags & OpenFlags.O_APPEND) != 0) parts.Add("O_APPEND");
        if ((flags & OpenFlags.O_DIRECTORY) != 0) parts.Add("O_DIRECTORY");
        if ((flags & OpenFlags.O_NOFOLLOW) != 0) parts.Add("O_NOFOLLOW");
        return string.Join("|", parts);
    }
}
