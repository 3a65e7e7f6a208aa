namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

// The hostfs sandbox under attack. The host folder "sandbox" has a sibling folder "sibling"
// holding the secrets every attempt aims at; the host has planted symbolic links of every kind
// (absolute, relative, chained, dangling, into /proc) and a hard link to a sibling file inside
// the sandbox beforehand. Each attempt must be refused with the errno Linux (or hostfs's own
// check) gives for it, and the sibling must hash the same before and after; a sentinel file in
// the sibling must never be opened or changed (inotify, statx times, content hash).
//
// Some attempts use "forged" vnodes: HostVnode objects built directly with a path the VFS
// would never produce (an absolute path, "..", a symbolic link taken for a directory). They
// stand for a VFS bug or for a vnode whose host object was swapped after it was looked up, and
// show that the sandbox does not rest on the VFS or on the vnode's idea of its own type.
public sealed class HostFsSandboxTests : IDisposable
{
    private const string Secret = "secret";

    private readonly TempFolder baseFolder;
    private readonly string sandbox;
    private readonly string sibling;
    private readonly string sentinel;
    private readonly HostFileSystem fileSystem;
    private readonly IVnode root;
    private readonly ITestOutputHelper output;

    public HostFsSandboxTests(ITestOutputHelper output)
    {
        this.output = output;
        baseFolder = new TempFolder();
        sandbox = baseFolder.Full("sandbox");
        sibling = baseFolder.Full("sibling");
        Directory.CreateDirectory(sandbox);
        Directory.CreateDirectory(Path.Combine(sibling, "sub"));
        File.WriteAllText(Path.Combine(sibling, "secret.txt"), Secret);
        File.WriteAllText(Path.Combine(sibling, "sub", "deep.txt"), Secret);
        File.WriteAllText(Path.Combine(sibling, "hardlinked.txt"), Secret);
        sentinel = Path.Combine(sibling, "sentinel.txt");
        byte[] sentinelBytes = new byte[4096];
        new Random(12).NextBytes(sentinelBytes);
        File.WriteAllBytes(sentinel, sentinelBytes);

        Directory.CreateDirectory(Path.Combine(sandbox, "a", "b"));
        File.WriteAllText(Path.Combine(sandbox, "a", "file.txt"), "inside");
        Plant("abs-etc", "/etc");
        Plant("abs-secret", Path.Combine(sibling, "secret.txt"));
        Plant("abs-sibling", sibling);
        Plant("rel-out", "../sibling/secret.txt");
        Plant("rel-out-dir", "../sibling");
        Plant("a/b/climb", "../../../sibling");
        Plant("chain1", "chain2");
        Plant("chain2", "chain3");
        Plant("chain3", "../sibling/secret.txt");
        Plant("proc-root", "/proc/self/root");
        Plant("proc-fd", "/proc/self/fd");
        Plant("proc-cwd", "/proc/self/cwd");
        Plant("dangling-out", "../sibling/created-through-link");
        baseFolder.HardLink("sandbox/hard-secret", "sibling/hardlinked.txt");

        fileSystem = new HostFileSystem(sandbox, readOnly: false);
        root = HostFileSystemTests.Mount(fileSystem);
    }

    public void Dispose()
    {
        fileSystem.Dispose();
        baseFolder.Dispose();
    }

    // Each attempt names the errno it must end with, and who gives it: "hostfs" for the
    // library's own checks (a name that is not one component, a stale type, a second name), or
    // the host's openat2 and *at calls: EXDEV for RESOLVE_BENEATH (".." above the root, an
    // absolute path), ELOOP for RESOLVE_NO_SYMLINKS (a link in the middle of a path) and for
    // O_NOFOLLOW (a link as the last component), ENOTDIR for a link taken for a directory
    // (O_PATH|O_DIRECTORY|O_NOFOLLOW opens the link, which is no directory), EEXIST for
    // O_CREAT|O_EXCL or mkdirat on a dangling link. An exact errno means that an ENOENT from a
    // path that does not exist can never pass for a refusal: every target below exists.
    [Fact]
    public void EscapeCatalogue_EveryAttemptIsRefusedWithItsErrno_AndTheSentinelIsNeverTouched()
    {
        string before = HashTree(sibling);
        IVnode a = VnodeTree.Get(root, "a");
        IVnode inside = VnodeTree.Get(root, "a/file.txt");
        IVnode absEtc = VnodeTree.Get(root, "abs-etc");
        byte[] buffer = new byte[64];
        string longName = new string('x', 256);
        string longPath = string.Join("/", System.Linq.Enumerable.Repeat("a", 2100));
        string rootFd = fileSystem.RootFd.ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string Hostfs = "hostfs", Host = "host";

        List<(string What, int Errno, string Who, Func<long> Attempt)> attempts = new List<(string, int, string, Func<long>)>
        {
            ("lookup ..", Errno.EINVAL, Hostfs, () => root.Lookup("..", out _)),
            ("lookup ../sibling", Errno.EINVAL, Hostfs, () => root.Lookup("../sibling", out _)),
            ("lookup a/../../sibling from a", Errno.EINVAL, Hostfs, () => a.Lookup("../../sibling", out _)),
            ("lookup an absolute path", Errno.EINVAL, Hostfs, () => root.Lookup("/etc", out _)),
            ("lookup through an absolute symlink to /etc", Errno.ENOTDIR, Host, () => absEtc.Lookup("passwd", out _)),
            ("read an absolute symlink to the secret", Errno.EINVAL, Hostfs, () => VnodeTree.Get(root, "abs-secret").Read(0, buffer)),
            ("read an absolute symlink, taken for a file", Errno.ELOOP, Hostfs, () => Forged("", "abs-secret", Stat.S_IFREG).Read(0, buffer)),
            ("read a relative symlink climbing out, taken for a file", Errno.ELOOP, Hostfs, () => Forged("", "rel-out", Stat.S_IFREG).Read(0, buffer)),
            ("lookup in a relative symlink to the sibling, taken for a directory", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("lookup in an absolute symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "abs-sibling", Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("read through a nested symlink climbing out", Errno.ELOOP, Host, () => Forged("a/b/climb", "secret.txt", Stat.S_IFREG).Read(0, buffer)),
            ("read through a symlink chain", Errno.ELOOP, Hostfs, () => Forged("", "chain1", Stat.S_IFREG).Read(0, buffer)),
            ("read a symlink chain's middle, whose next link climbs out", Errno.ELOOP, Host, () => Forged("chain3", "x", Stat.S_IFREG).Read(0, buffer)),
            ("lookup in /proc/self/root", Errno.ENOTDIR, Host, () => Forged("", "proc-root", Stat.S_IFDIR).Lookup("etc", out _)),
            ("read /proc/self/root/etc/passwd", Errno.ELOOP, Host, () => Forged("proc-root/etc", "passwd", Stat.S_IFREG).Read(0, buffer)),
            ("read /proc/self/fd/N (the root fd)", Errno.ELOOP, Host, () => Forged("proc-fd", rootFd, Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("read through /proc/self/cwd", Errno.ELOOP, Host, () => Forged("proc-cwd", "etc", Stat.S_IFDIR).ReadDirectory(0, out _)),
            ("list /etc through a symlink", Errno.ENOTDIR, Host, () => Forged("", "abs-etc", Stat.S_IFDIR).ReadDirectory(0, out _)),
            ("a vnode with a path through ..", Errno.EXDEV, Host, () => Forged("..", "sibling", Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("a vnode with an absolute path", Errno.EXDEV, Host, () => Forged("", sibling, Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("read a vnode with an absolute path to the sentinel", Errno.EXDEV, Host, () => Forged(sibling, "sentinel.txt", Stat.S_IFREG).Read(0, buffer)),
            ("write a vnode with a path through ..", Errno.EXDEV, Host, () => Forged("../sibling", "secret.txt", Stat.S_IFREG).Write(0, "PWNED"u8)),
            ("truncate a vnode with a path through a/../..", Errno.EXDEV, Host, () => Forged("a/../../sibling", "secret.txt", Stat.S_IFREG).SetSize(0)),
            ("re-time the sentinel through ..", Errno.EXDEV, Host, () => Forged("..", "sibling/sentinel.txt", Stat.S_IFREG).SetTimes(default, default)),
            ("stat the sentinel through ..", Errno.EXDEV, Host, () => Forged("../sibling", "sentinel.txt", Stat.S_IFREG).GetAttributes(out _)),
            ("list the sibling through ..", Errno.EXDEV, Host, () => Forged("..", "sibling", Stat.S_IFDIR).ReadDirectory(0, out _)),
            ("create through a dangling symlink pointing outside", Errno.EEXIST, Host, () => root.Create("dangling-out", 0x1A4, out _)),
            ("mkdir through a dangling symlink pointing outside", Errno.EEXIST, Host, () => root.MakeDirectory("dangling-out", 0x1ED, out _)),
            ("mkdir ../sibling/new", Errno.EINVAL, Hostfs, () => root.MakeDirectory("../sibling/new", 0x1ED, out _)),
            ("mkdir inside a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).MakeDirectory("new", 0x1ED, out _)),
            ("create inside a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "abs-sibling", Stat.S_IFDIR).Create("new", 0x1A4, out _)),
            ("unlink ../sibling/secret.txt", Errno.EINVAL, Hostfs, () => root.Unlink("../sibling/secret.txt")),
            ("unlink inside a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).Unlink("secret.txt")),
            ("rmdir inside a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).RemoveDirectory("sub")),
            ("symlinkat with a name outside", Errno.EINVAL, Hostfs, () => root.MakeSymbolicLink("../sibling/evil", "/etc", out _)),
            ("symlinkat inside a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).MakeSymbolicLink("evil", "x", out _)),
            ("linkat with a name outside", Errno.EINVAL, Hostfs, () => root.Link("../sibling/linked", inside)),
            ("linkat into a symlink to the sibling", Errno.ENOTDIR, Host, () => Forged("", "rel-out-dir", Stat.S_IFDIR).Link("linked", inside)),
            ("linkat from an outside file", Errno.EXDEV, Host, () => root.Link("stolen", Forged("../sibling", "secret.txt", Stat.S_IFREG))),
            ("linkat from a symlink to an outside file, taken for a file", Errno.ENOTDIR, Host, () => root.Link("stolen", Forged("rel-out-dir", "secret.txt", Stat.S_IFREG))),
            ("rename out with ..", Errno.EINVAL, Hostfs, () => root.Rename("a", root, "../sibling/a")),
            ("rename into a symlink to the sibling", Errno.ENOTDIR, Host, () => a.Rename("file.txt", Forged("", "rel-out-dir", Stat.S_IFDIR), "moved.txt")),
            ("rename the secret in from outside", Errno.ENOTDIR, Host, () => Forged("", "abs-sibling", Stat.S_IFDIR).Rename("secret.txt", root, "taken.txt")),
            ("rename a directory onto a symlink's place so a path leads out", Errno.ELOOP, Host, () => Forged("a/b/climb", "sub", Stat.S_IFDIR).Rename("deep.txt", a, "deep.txt")),
            ("set times through a symlink", Errno.ELOOP, Hostfs, () => Forged("", "rel-out", Stat.S_IFREG).SetTimes(default, default)),
            ("write a hard link the host made to an outside file", Errno.EPERM, Hostfs, () => VnodeTree.Get(root, "hard-secret").Write(0, "PWNED"u8)),
            ("truncate a hard link the host made to an outside file", Errno.EPERM, Hostfs, () => VnodeTree.Get(root, "hard-secret").SetSize(0)),
            ("re-time a hard link the host made to an outside file", Errno.EPERM, Hostfs, () => VnodeTree.Get(root, "hard-secret").SetTimes(default, default)),
            ("a name longer than NAME_MAX", Errno.ENAMETOOLONG, Hostfs, () => root.Create(longName, 0x1A4, out _)),
            ("a path longer than PATH_MAX", Errno.ENAMETOOLONG, Hostfs, () => Forged(longPath, "x", Stat.S_IFDIR).Create("y", 0x1A4, out _)),
            ("a lookup with a path longer than PATH_MAX", Errno.ENAMETOOLONG, Host, () => Forged(longPath, "x", Stat.S_IFDIR).Lookup("y", out _)),
            ("a NUL in a name", Errno.EINVAL, Hostfs, () => root.Create("a\0../../sibling/x", 0x1A4, out _)),
            ("a NUL in a lookup", Errno.EINVAL, Hostfs, () => root.Lookup("rel-out\0", out _)),
            ("a NUL in a symlink target", Errno.EINVAL, Hostfs, () => root.MakeSymbolicLink("l", "/etc\0x", out _)),
            ("an empty name", Errno.ENOENT, Hostfs, () => root.Create("", 0x1A4, out _)),
            ("readlink of something that is not a link", Errno.EINVAL, Hostfs, () => inside.ReadLink(out _)),
        };

        // Every object an attempt aims at exists, so no refusal comes from a missing name.
        foreach (string planted in new[] { "abs-etc", "abs-secret", "abs-sibling", "rel-out", "rel-out-dir", "a/b/climb", "chain1", "chain2",
                     "chain3", "proc-root", "proc-fd", "proc-cwd", "dangling-out", "hard-secret", "a/file.txt" })
        {
            Assert.True(Path.Exists(Path.Combine(sandbox, planted)) || new FileInfo(Path.Combine(sandbox, planted)).LinkTarget != null, planted);
        }
        Assert.True(File.Exists(sentinel));
        string sentinelHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(sentinel)));
        // Its access time is set far back after that read: on a relatime or strictatime host a
        // read would move it, so the access time is a second witness next to inotify.
        File.SetLastAccessTimeUtc(sentinel, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var sentinelBefore = HostSetup.Times(sentinel);

        using HostWatch watch = new HostWatch();
        watch.Add(sibling);
        watch.Add(Path.Combine(sibling, "sub"));
        watch.Add(sentinel);
        List<string> problems = new List<string>();
        foreach ((string what, int errno, string who, Func<long> attempt) in attempts)
        {
            long result = attempt();
            List<string> events = watch.Drain();
            output.WriteLine(what + ": " + (result < 0 ? Errno.Name((int)-result) : result.ToString(System.Globalization.CultureInfo.InvariantCulture)) + " (" + who + ")");
            if (result != -errno)
            {
                problems.Add(what + ": " + (result < 0 ? Errno.Name((int)-result) : "succeeded (" + result + ")") + ", expected " + Errno.Name(errno) + " from " + who);
            }
            if (events.Count > 0)
            {
                problems.Add(what + ": the host saw " + string.Join(", ", events) + " outside the folder");
            }
        }

        Assert.True(attempts.Count >= 50);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        // The sentinel was neither read (no inotify event, access time where it was set) nor
        // changed (content, inode, size, modification and change times); checked before the
        // test's own reads below.
        Assert.Equal(sentinelBefore, HostSetup.Times(sentinel));
        Assert.Empty(watch.Drain());
        Assert.Equal(sentinelHash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(sentinel))));
        // The watch itself works: the read just made is seen.
        Assert.Contains(watch.Drain(), line => line.StartsWith(sentinel + " ", StringComparison.Ordinal) && line.Contains("OPEN", StringComparison.Ordinal));
        Assert.Equal(before, HashTree(sibling));
        Assert.False(File.Exists(Path.Combine(sibling, "created-through-link")));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(sibling, "secret.txt")));
    }

    [Fact]
    public void PlantedLinks_AreLinksToTheVfs_NeverFollowedOnTheHost()
    {
        // Reading a link gives its text; the VFS resolves it in the kernel's own name space.
        Assert.Equal("/etc", VnodeTree.ReadLink(VnodeTree.Get(root, "abs-etc")));
        Assert.Equal(Stat.S_IFLNK, VnodeTree.Get(root, "proc-root").Type);
        Assert.Equal(0, VnodeTree.Get(root, "abs-secret").GetAttributes(out Stat link));
        Assert.Equal(Stat.S_IFLNK, link.Type);
        // A symbolic link made inside may hold any text; it is only text to the host.
        Assert.Equal(0, root.MakeSymbolicLink("new-link", "/etc/passwd", out IVnode? made));
        Assert.Equal(-Errno.ELOOP, ((HostVnode)Forged("", "new-link", Stat.S_IFREG)).Read(0, new byte[8]));
        Assert.Equal(-Errno.EINVAL, made!.Read(0, new byte[8]));
    }

    [Fact]
    public void HardLinkMadeByTheHost_CanBeReadButNotChanged()
    {
        IVnode hard = VnodeTree.Get(root, "hard-secret");
        Assert.Equal(Secret, Encoding.UTF8.GetString(VnodeTree.ReadAll(hard)));
        Assert.Equal(-Errno.EPERM, hard.Write(0, "x"u8));
        // Its name inside may go: that changes nothing outside but the link count.
        Assert.Equal(0, root.Unlink("hard-secret"));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(sibling, "hardlinked.txt")));
    }

    [Fact]
    public void ReadOnlyMount_RefusesEveryChangeWithErofs()
    {
        string before = HashTree(baseFolder.Path);
        using HostFileSystem readOnly = new HostFileSystem(sandbox, readOnly: true);
        IVnode readOnlyRoot = HostFileSystemTests.Mount(readOnly);
        IVnode a = VnodeTree.Get(readOnlyRoot, "a");
        IVnode file = VnodeTree.Get(readOnlyRoot, "a/file.txt");
        Func<long>[] changes =
        {
            () => file.Write(0, "x"u8),
            () => file.SetSize(0),
            () => file.SetTimes(default, default),
            () => readOnlyRoot.SetTimes(default, default),
            () => a.Create("new", 0x1A4, out _),
            () => a.MakeDirectory("new", 0x1ED, out _),
            () => a.MakeSymbolicLink("new", "x", out _),
            () => a.Link("new", file),
            () => a.Unlink("file.txt"),
            () => readOnlyRoot.RemoveDirectory("a"),
            () => a.Rename("file.txt", readOnlyRoot, "moved"),
        };
        foreach (Func<long> change in changes)
        {
            Assert.Equal(-Errno.EROFS, change());
        }
        Assert.Equal("inside", Encoding.UTF8.GetString(VnodeTree.ReadAll(file)));
        Assert.Equal(before, HashTree(baseFolder.Path));
    }

    [Fact]
    public void DirectoryTheHostMovesOut_IsGoneForTheKernel()
    {
        // Vnodes are paths below the root, resolved again on every call: a directory the host
        // moves out of the folder takes nothing of the kernel's with it.
        IVnode a = VnodeTree.Get(root, "a");
        IVnode file = VnodeTree.Get(root, "a/file.txt");
        string outside = baseFolder.Full("moved-out");
        Directory.Move(Path.Combine(sandbox, "a"), outside);
        string before = HashTree(outside);
        byte[] buffer = new byte[16];

        Assert.Equal(-Errno.ENOENT, file.Write(0, "PWNED"u8));
        Assert.Equal(-Errno.ENOENT, file.Read(0, buffer));
        Assert.Equal(-Errno.ENOENT, file.SetSize(0));
        Assert.Equal(-Errno.ENOENT, a.Create("new", 0x1A4, out _));
        Assert.Equal(-Errno.ENOENT, a.MakeDirectory("new", 0x1ED, out _));
        Assert.Equal(-Errno.ENOENT, a.Unlink("file.txt"));
        Assert.Equal(-Errno.ENOENT, a.Lookup("file.txt", out _));
        Assert.Equal(-Errno.ENOENT, a.ReadDirectory(0, out _));
        Assert.Equal(before, HashTree(outside));
    }

    [Fact]
    public void SymlinkSwappedWhileTheKernelWalks_NeverLeadsOutside()
    {
        // A host thread flips "race" between a directory inside and a symbolic link to the
        // sibling, while the kernel reads, writes and creates through it.
        string race = Path.Combine(sandbox, "race");
        string parked = Path.Combine(sandbox, "race-parked");
        Directory.CreateDirectory(parked);
        File.WriteAllText(Path.Combine(parked, "secret.txt"), "inside");
        string before = HashTree(sibling);
        int flips = 0;
        bool stop = false;
        Thread flipper = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    // Each state holds a moment, so the kernel meets all three.
                    Directory.Move(parked, race);
                    Thread.SpinWait(20_000);
                    Directory.Move(race, parked);
                    File.CreateSymbolicLink(race, "../sibling");
                    Thread.SpinWait(20_000);
                    File.Delete(race);
                    File.CreateSymbolicLink(race, sibling);
                    Thread.SpinWait(20_000);
                    File.Delete(race);
                    Interlocked.Increment(ref flips);
                }
                catch (IOException)
                {
                }
            }
        });
        flipper.Start();
        List<string> problems = new List<string>();
        byte[] buffer = new byte[64];
        int sawDirectory = 0;
        try
        {
            // Bounded: at least 5000 rounds, more (up to 100000) until the kernel has met the
            // directory state 20 times, so a loaded machine still runs the race.
            for (int iteration = 0; iteration < 100_000 && (iteration < 5000 || sawDirectory < 20); iteration++)
            {
                IVnode directory = Forged("", "race", Stat.S_IFDIR);
                if (directory.Lookup("secret.txt", out IVnode? found) == 0)
                {
                    sawDirectory++;
                    long read = found!.Read(0, buffer);
                    if (read > 0 && Encoding.UTF8.GetString(buffer, 0, (int)read) == Secret)
                    {
                        problems.Add("read the sibling's secret through the swapped link");
                    }
                }
                long direct = Forged("race", "secret.txt", Stat.S_IFREG).Read(0, buffer);
                if (direct > 0 && Encoding.UTF8.GetString(buffer, 0, (int)direct) == Secret)
                {
                    problems.Add("read the secret by path through the swapped link");
                }
                Forged("race", "secret.txt", Stat.S_IFREG).Write(0, "PWNED!"u8);
                directory.Create("pwn-" + iteration, 0x1A4, out _);
                directory.MakeDirectory("pwn-dir-" + iteration, 0x1ED, out _);
                directory.Unlink("pwn-" + iteration);
                directory.RemoveDirectory("pwn-dir-" + iteration);
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            flipper.Join();
        }

        output.WriteLine("host flips: " + flips + ", lookups that found the directory: " + sawDirectory);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.True(flips > 0, "the host thread never flipped the link");
        Assert.True(sawDirectory > 0, "the kernel never met the directory state: the race was not run");
        Assert.Equal(before, HashTree(sibling));
    }

    private IVnode Forged(string parentPath, string name, int type) => new HostVnode(fileSystem, parentPath, name, type, 0);

    private void Plant(string relative, string target)
    {
        File.CreateSymbolicLink(Path.Combine(sandbox, relative), target);
    }

    // Every name below folder with its type, mode, size, modification time and content (or
    // link text), links never followed.
    private static string HashTree(string folder)
    {
        List<string> entries = new List<string>();
        Collect(folder, entries);
        entries.Sort(StringComparer.Ordinal);
        StringBuilder description = new StringBuilder();
        foreach (string entry in entries)
        {
            FileInfo info = new FileInfo(entry);
            description.Append(Path.GetRelativePath(folder, entry)).Append('|');
            if (info.LinkTarget != null)
            {
                description.Append("link ").Append(info.LinkTarget);
            }
            else if (Directory.Exists(entry))
            {
                description.Append("dir");
            }
            else
            {
                description.Append("file ").Append(info.Length).Append(' ').Append(info.LastWriteTimeUtc.Ticks).Append(' ')
                    .Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry))));
            }
            description.Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(description.ToString())));
    }

    // Recurses into real directories only: the sandbox holds links to /etc and /proc/self/root.
    private static void Collect(string directory, List<string> entries)
    {
        foreach (string entry in Directory.GetFileSystemEntries(directory))
        {
            entries.Add(entry);
            if (new FileInfo(entry).LinkTarget == null && Directory.Exists(entry))
            {
                Collect(entry, entries);
            }
        }
    }
}
