namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

// Host objects a folder may hold besides files, directories and links: FIFOs, sockets, device
// nodes and mounts, and a host that swaps the last component of a path while the kernel opens
// it. The rules (kernel/HostFs/README.md): FIFOs, sockets and device nodes are listed, stat'ed,
// re-timed, renamed and removed, but never opened, not even to check their type (reading,
// writing or truncating one is EINVAL, and nothing blocks); a mount inside the folder is listed
// but never entered, opened or stat'ed (EXDEV). inotify on each object proves "never opened".
public sealed class HostFsHostObjectsTests : IDisposable
{
    private const string Secret = "secret";

    private readonly TempFolder baseFolder;
    private readonly string sandbox;
    private readonly string sibling;
    private readonly ITestOutputHelper output;
    private readonly List<string> mounts = new List<string>();
    private HostFileSystem? fileSystem;

    public HostFsHostObjectsTests(ITestOutputHelper output)
    {
        this.output = output;
        baseFolder = new TempFolder();
        sandbox = baseFolder.Full("sandbox");
        sibling = baseFolder.Full("sibling");
        Directory.CreateDirectory(sandbox);
        Directory.CreateDirectory(sibling);
        File.WriteAllText(Path.Combine(sibling, "secret.txt"), Secret);
    }

    public void Dispose()
    {
        fileSystem?.Dispose();
        // Mounts go first: removing the folder must never reach through a bind mount.
        for (int index = mounts.Count - 1; index >= 0; index--)
        {
            int errno = HostSetup.Unmount(mounts[index]);
            Assert.True(errno == 0, "umount " + mounts[index] + " failed: errno " + errno);
        }
        baseFolder.Dispose();
    }

    [Fact]
    public void FifosAndSockets_AreListedAndStatedButNeverOpened()
    {
        HostSetup.MakeNode(Path.Combine(sandbox, "fifo"), HostSetup.S_IFIFO, 0, 0);
        using Socket listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(sandbox, "socket")));
        listener.Listen(1);
        CheckNeverOpened(new[] { ("fifo", Stat.S_IFIFO, 0L), ("socket", Stat.S_IFSOCK, 0L) });
    }

    [HostCapabilityFact(HostCapability.Mknod)]
    public void DeviceNodes_AreListedAndStatedButNeverOpened()
    {
        HostCapabilities.Require(HostCapability.Mknod);
        // The host's null and zero character devices (1:3, 1:5) and the first loop block
        // device (7:0): opening a device runs its driver, which hostfs must never do.
        HostSetup.MakeNode(Path.Combine(sandbox, "null"), HostSetup.S_IFCHR, 1, 3);
        HostSetup.MakeNode(Path.Combine(sandbox, "zero"), HostSetup.S_IFCHR, 1, 5);
        HostSetup.MakeNode(Path.Combine(sandbox, "loop"), 0x6000, 7, 0);
        CheckNeverOpened(new[] { ("null", Stat.S_IFCHR, 0x103L), ("zero", Stat.S_IFCHR, 0x105L), ("loop", Stat.S_IFBLK, 0x700L) });
    }

    [HostCapabilityFact(HostCapability.SysAdmin)]
    public void MountsInsideTheFolder_AreListedButNeverEntered()
    {
        HostCapabilities.Require(HostCapability.SysAdmin);
        string tmpfs = Path.Combine(sandbox, "tmpfs");
        string boundDirectory = Path.Combine(sandbox, "bound-dir");
        string boundFile = Path.Combine(sandbox, "bound-file");
        Directory.CreateDirectory(tmpfs);
        Directory.CreateDirectory(boundDirectory);
        File.WriteAllText(boundFile, "under the mount");
        Directory.CreateDirectory(Path.Combine(sandbox, "plain"));
        HostSetup.MountTmpfs(tmpfs);
        mounts.Add(tmpfs);
        File.WriteAllText(Path.Combine(tmpfs, "in-tmpfs.txt"), "other file system");
        // A bind mount of the sibling folder, and of one outside file onto a file inside.
        HostSetup.Bind(sibling, boundDirectory);
        mounts.Add(boundDirectory);
        HostSetup.Bind(Path.Combine(sibling, "secret.txt"), boundFile);
        mounts.Add(boundFile);
        Assert.Equal(Secret, File.ReadAllText(boundFile));

        IVnode root = MountSandbox();
        using HostWatch watch = new HostWatch();
        watch.Add(sibling);
        watch.Add(Path.Combine(sibling, "secret.txt"));
        watch.Add(tmpfs);
        byte[] buffer = new byte[64];
        Forge forge = new Forge(fileSystem!);
        List<(string What, int Errno, Func<long> Attempt)> attempts = new List<(string, int, Func<long>)>
        {
            ("lookup a tmpfs mount point", Errno.EXDEV, () => root.Lookup("tmpfs", out _)),
            ("lookup a bind-mounted directory", Errno.EXDEV, () => root.Lookup("bound-dir", out _)),
            ("lookup a bind-mounted file", Errno.EXDEV, () => root.Lookup("bound-file", out _)),
            ("stat a bind-mounted file's vnode", Errno.EXDEV, () => forge.Vnode("", "bound-file", Stat.S_IFREG).GetAttributes(out _)),
            ("read a bind-mounted file", Errno.EXDEV, () => forge.Vnode("", "bound-file", Stat.S_IFREG).Read(0, buffer)),
            ("write a bind-mounted file", Errno.EXDEV, () => forge.Vnode("", "bound-file", Stat.S_IFREG).Write(0, "PWNED"u8)),
            ("truncate a bind-mounted file", Errno.EXDEV, () => forge.Vnode("", "bound-file", Stat.S_IFREG).SetSize(0)),
            ("re-time a bind-mounted file", Errno.EXDEV, () => forge.Vnode("", "bound-file", Stat.S_IFREG).SetTimes(default, default)),
            ("read in a bind-mounted directory", Errno.EXDEV, () => forge.Vnode("bound-dir", "secret.txt", Stat.S_IFREG).Read(0, buffer)),
            ("lookup in a bind-mounted directory", Errno.EXDEV, () => forge.Vnode("", "bound-dir", Stat.S_IFDIR).Lookup("secret.txt", out _)),
            ("list a bind-mounted directory", Errno.EXDEV, () => forge.Vnode("", "bound-dir", Stat.S_IFDIR).ReadDirectory(0, out _)),
            ("create in a bind-mounted directory", Errno.EXDEV, () => forge.Vnode("", "bound-dir", Stat.S_IFDIR).Create("new", 0x1A4, out _)),
            ("read in a tmpfs", Errno.EXDEV, () => forge.Vnode("tmpfs", "in-tmpfs.txt", Stat.S_IFREG).Read(0, buffer)),
            ("list a tmpfs", Errno.EXDEV, () => forge.Vnode("", "tmpfs", Stat.S_IFDIR).ReadDirectory(0, out _)),
            ("mkdir in a tmpfs", Errno.EXDEV, () => forge.Vnode("", "tmpfs", Stat.S_IFDIR).MakeDirectory("new", 0x1ED, out _)),
            ("remove a tmpfs mount point", Errno.EBUSY, () => root.RemoveDirectory("tmpfs")),
            ("unlink a bind-mounted file", Errno.EBUSY, () => root.Unlink("bound-file")),
            ("rename a bind-mounted directory", Errno.EBUSY, () => root.Rename("bound-dir", root, "moved")),
        };
        List<string> problems = new List<string>();
        foreach ((string what, int errno, Func<long> attempt) in attempts)
        {
            long result = attempt();
            List<string> events = watch.Drain();
            output.WriteLine(what + ": " + Describe(result));
            if (result != -errno)
            {
                problems.Add(what + ": " + Describe(result) + ", expected " + Errno.Name(errno));
            }
            if (events.Count > 0)
            {
                problems.Add(what + ": the host saw " + string.Join(", ", events));
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));

        // The mount points are names of the folder; the folder's own directories still work.
        List<string> names = ListNames(root);
        Assert.Contains("tmpfs", names);
        Assert.Contains("bound-dir", names);
        Assert.Contains("bound-file", names);
        Assert.Equal(0, root.Lookup("plain", out IVnode? plain));
        Assert.Equal(0, plain!.Create("file", 0x1A4, out _));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(sibling, "secret.txt")));
        Assert.Equal("other file system", File.ReadAllText(Path.Combine(tmpfs, "in-tmpfs.txt")));
    }

    [Fact]
    public void LastComponentSwappedWhileTheKernelOpensIt_NeverLeadsOutside()
    {
        // A host thread swaps the object named "race" (a regular file of the folder) with an
        // absolute symbolic link to the secret, a relative one and a FIFO, each in one atomic renameat2(RENAME_EXCHANGE), while the kernel looks "race" up
        // and reads, writes, truncates, re-times and stats it.
        string race = Path.Combine(sandbox, "race");
        File.WriteAllText(race, "inside");
        File.CreateSymbolicLink(Path.Combine(sandbox, "parked-absolute"), Path.Combine(sibling, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(sandbox, "parked-relative"), "../sibling/secret.txt");
        HostSetup.MakeNode(Path.Combine(sandbox, "parked-fifo"), HostSetup.S_IFIFO, 0, 0);
        string[] parked = { "parked-absolute", "parked-relative", "parked-fifo" };
        long secretInode = HostSetup.Times(Path.Combine(sibling, "secret.txt")).Inode;
        IVnode root = MountSandbox();
        Forge forge = new Forge(fileSystem!);
        using HostWatch watch = new HostWatch();
        watch.Add(sibling);
        watch.Add(Path.Combine(sibling, "secret.txt"));
        watch.Add(Path.Combine(sandbox, "parked-fifo"));

        int swaps = 0;
        bool stop = false;
        List<string> hostErrors = new List<string>();
        Thread swapper = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                foreach (string name in parked)
                {
                    foreach (int unused in new[] { 0, 1 })
                    {
                        long swapped = HostSetup.Exchange(race, Path.Combine(sandbox, name));
                        if (swapped != 0)
                        {
                            lock (hostErrors)
                            {
                                hostErrors.Add("renameat2 " + name + ": " + swapped);
                            }
                        }
                        Thread.SpinWait(5_000);
                    }
                }
                Interlocked.Increment(ref swaps);
            }
        });
        swapper.Start();
        List<string> problems = new List<string>();
        Dictionary<string, int> results = new Dictionary<string, int>(StringComparer.Ordinal);
        byte[] buffer = new byte[64];
        try
        {
            // Bounded: at least 3000 rounds, more (up to 100000) until the kernel has read the
            // file and been refused by a link and by the FIFO 20 times each.
            for (int iteration = 0; iteration < 100_000 && (iteration < 3000 || !MetEveryState(results)); iteration++)
            {
                IVnode forged = forge.Vnode("", "race", Stat.S_IFREG);
                long read = forged.Read(0, buffer);
                Count(results, "read " + Describe(read));
                if (read > 0 && Encoding.UTF8.GetString(buffer, 0, (int)read).Contains(Secret, StringComparison.Ordinal))
                {
                    problems.Add("read the secret through the swapped last component");
                }
                Count(results, "write " + Describe(forged.Write(0, "inside"u8)));
                Count(results, "truncate " + Describe(forged.SetSize(6)));
                Count(results, "times " + Describe(forged.SetTimes(new Timespec(1_000_000, 0), new Timespec(1_000_000, 0))));
                if (root.Lookup("race", out IVnode? found) == 0)
                {
                    long lookedRead = found!.Read(0, buffer);
                    Count(results, "lookup-read " + Describe(lookedRead));
                    if (lookedRead > 0 && Encoding.UTF8.GetString(buffer, 0, (int)lookedRead).Contains(Secret, StringComparison.Ordinal))
                    {
                        problems.Add("read the secret through a looked-up vnode");
                    }
                    if (found.GetAttributes(out Stat stat) == 0 && stat.Inode == secretInode)
                    {
                        problems.Add("stat'ed the secret");
                    }
                }
                // The FIFO moves (MOVE_SELF) with every swap; anything else is a problem.
                foreach (string line in watch.Drain(HostWatch.IN_ALL_EVENTS & ~HostWatch.IN_MOVE_SELF))
                {
                    problems.Add("the host saw " + line);
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            swapper.Join();
        }

        foreach (KeyValuePair<string, int> pair in results)
        {
            output.WriteLine(pair.Key + ": " + pair.Value);
        }
        output.WriteLine("host swap rounds: " + swaps);
        Assert.Empty(hostErrors);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.True(MetEveryState(results), "the kernel did not meet the file, a link and the FIFO 20 times each: the race was not run");
        Assert.Empty(watch.Drain(HostWatch.IN_ALL_EVENTS & ~HostWatch.IN_MOVE_SELF));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(sibling, "secret.txt")));
    }

    // Every node is listed with its type, stat'ed with its type and device number, re-timed
    // and renamed without being opened, and refuses reads, writes and truncation (EINVAL),
    // also through a vnode that takes it for a regular file, within a time bound (a FIFO
    // opened for reading or writing could block).
    private void CheckNeverOpened((string Name, int Type, long Device)[] nodes)
    {
        IVnode root = MountSandbox();
        Forge forge = new Forge(fileSystem!);
        using HostWatch watch = new HostWatch();
        foreach ((string name, int _, long _) in nodes)
        {
            watch.Add(Path.Combine(sandbox, name));
        }
        List<string> names = ListNames(root);
        Task checks = Task.Run(() =>
        {
            byte[] buffer = new byte[16];
            foreach ((string name, int type, long device) in nodes)
            {
                Assert.Contains(name, names);
                IVnode node = VnodeTree.Get(root, name);
                Assert.Equal(type, node.Type);
                Assert.Equal(0, node.GetAttributes(out Stat stat));
                Assert.Equal(type, stat.Type);
                Assert.Equal(device, stat.SpecialDevice);
                Assert.Equal(-Errno.EINVAL, node.Read(0, buffer));
                Assert.Equal(-Errno.EINVAL, node.Write(0, "x"u8));
                Assert.Equal(-Errno.EINVAL, node.SetSize(0));
                Assert.Equal(0, node.Sync());
                IVnode stale = forge.Vnode("", name, Stat.S_IFREG);
                Assert.Equal(-Errno.EINVAL, stale.Read(0, buffer));
                Assert.Equal(-Errno.EINVAL, stale.Write(0, "x"u8));
                Assert.Equal(-Errno.EINVAL, stale.SetSize(0));
                Assert.Equal(-Errno.EINVAL, stale.SetTimes(default, default));
                Assert.Equal(-Errno.EINVAL, stale.Sync());
                Assert.Equal(0, node.SetTimes(new Timespec(1_000_000, 0), new Timespec(2_000_000, 0)));
                Assert.Equal(2_000_000, new FileInfo(Path.Combine(sandbox, name)).LastWriteTimeUtc.Subtract(DateTime.UnixEpoch).TotalSeconds);
            }
        });
        Assert.True(checks.Wait(TimeSpan.FromSeconds(30)), "a FIFO, socket or device node blocked the kernel");
        List<string> opened = watch.Drain(HostWatch.IN_OPEN | HostWatch.IN_ACCESS | HostWatch.IN_MODIFY | HostWatch.IN_CLOSE_WRITE);
        Assert.True(opened.Count == 0, "the host opened: " + string.Join(", ", opened));
        foreach ((string name, int _, long _) in nodes)
        {
            Assert.Equal(0, root.Rename(name, root, name + "-renamed"));
            Assert.Equal(0, root.Unlink(name + "-renamed"));
            Assert.False(Path.Exists(Path.Combine(sandbox, name + "-renamed")));
        }
        Assert.Empty(watch.Drain(HostWatch.IN_OPEN | HostWatch.IN_ACCESS | HostWatch.IN_MODIFY));
    }

    private IVnode MountSandbox()
    {
        fileSystem = new HostFileSystem(sandbox, readOnly: false);
        return HostFileSystemTests.Mount(fileSystem);
    }

    private static List<string> ListNames(IVnode directory)
    {
        List<string> names = new List<string>();
        long cookie = 0;
        while (directory.ReadDirectory(cookie, out DirectoryEntry entry) == 1)
        {
            names.Add(entry.Name);
            cookie = entry.NextCookie;
        }
        return names;
    }

    private static bool MetEveryState(Dictionary<string, int> results) =>
        results.GetValueOrDefault("read 6") >= 20 && results.GetValueOrDefault("read ELOOP") >= 20 && results.GetValueOrDefault("read EINVAL") >= 20;

    private static void Count(Dictionary<string, int> results, string key) => results[key] = results.GetValueOrDefault(key) + 1;

    private static string Describe(long result) =>
        result < 0 ? Errno.Name((int)-result) : result.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Vnodes built with a path and type the VFS would not give: a vnode whose host object was
    // swapped after it was looked up.
    private sealed class Forge
    {
        private readonly HostFileSystem fileSystem;

        public Forge(HostFileSystem fileSystem)
        {
            this.fileSystem = fileSystem;
        }

        public IVnode Vnode(string parentPath, string name, int type) => new HostVnode(fileSystem, parentPath, name, type, 0);
    }
}
