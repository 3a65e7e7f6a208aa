namespace Unikraft.Kernel;

using System.Collections.Generic;

// Every watch of every inotify instance of one kernel, by the file it watches, and what the VFS
// calls when a file or directory changes: the events of fs/notify (fsnotify.h), told to the
// watches of the file itself and, with the file's name, to those of the directory it is in.
//
// Linux reports IN_DELETE_SELF when a file's last link and last open reference are gone; this
// kernel reports it when the last link goes, open or not. IN_OPEN, IN_ACCESS and
// IN_CLOSE_NOWRITE are not reported (reads stay off this path); a watch asking only for them
// hears nothing but IN_IGNORED.
internal sealed class InotifyWatches
{
    private readonly Dictionary<(VfsMount Mount, long Inode), List<InotifyWatch>> byFile =
        new Dictionary<(VfsMount Mount, long Inode), List<InotifyWatch>>();
    private uint nextCookie;

    public int Count { get; private set; }

    public void Add(InotifyWatch watch)
    {
        if (!byFile.TryGetValue((watch.Mount, watch.Inode), out List<InotifyWatch>? list))
        {
            list = new List<InotifyWatch>();
            byFile.Add((watch.Mount, watch.Inode), list);
        }
        list.Add(watch);
        Count++;
    }

    public void Remove(InotifyWatch watch)
    {
        if (byFile.TryGetValue((watch.Mount, watch.Inode), out List<InotifyWatch>? list) && list.Remove(watch))
        {
            Count--;
            if (list.Count == 0)
            {
                byFile.Remove((watch.Mount, watch.Inode));
            }
        }
    }

    // A cookie that ties an IN_MOVED_FROM to its IN_MOVED_TO; never 0, which means "no move".
    public uint NextCookie()
    {
        nextCookie++;
        if (nextCookie == 0)
        {
            nextCookie = 1;
        }
        return nextCookie;
    }

    // name changed inside directory (IN_CREATE, IN_DELETE, IN_MOVED_FROM, IN_MOVED_TO, and a
    // child's IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE): the directory's watches hear it with the name.
    public void Child(VfsLocation directory, string name, bool isDirectory, uint mask, uint cookie)
    {
        Tell(directory.Mount, directory.Vnode.Inode, mask | (isDirectory ? InotifyMask.IN_ISDIR : 0), cookie, name);
    }

    // An open file changed (IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE): its own watches hear it, and
    // those of the directory it was opened in, with its name.
    public void Changed(VfsLocation file, uint mask)
    {
        bool isDirectory = file.IsDirectory;
        Self(file.Mount, file.Vnode.Inode, isDirectory, mask);
        if (file.Parent != null)
        {
            Child(file.Parent, file.Name, isDirectory, mask, 0);
        }
    }

    // The file itself changed: its own watches hear it with no name.
    public void Self(VfsMount mount, long inode, bool isDirectory, uint mask)
    {
        Tell(mount, inode, mask | (isDirectory ? InotifyMask.IN_ISDIR : 0), 0, null);
    }

    // A name of file went (unlink, or a rename over it): the link count changed (IN_ATTRIB), and
    // when it was the last link, the file is deleted.
    public void LinkRemoved(VfsLocation file)
    {
        bool isDirectory = file.IsDirectory;
        file.Vnode.GetAttributes(out Stat attributes);
        if (attributes.LinkCount > 0 && !isDirectory)
        {
            Self(file.Mount, file.Vnode.Inode, false, InotifyMask.IN_ATTRIB);
            return;
        }
        if (!isDirectory)
        {
            Self(file.Mount, file.Vnode.Inode, false, InotifyMask.IN_ATTRIB);
        }
        Deleted(file.Mount, file.Vnode.Inode, isDirectory);
    }

    // The file's last link is gone: IN_DELETE_SELF, then every watch on it ends (IN_IGNORED).
    public void Deleted(VfsMount mount, long inode, bool isDirectory)
    {
        Tell(mount, inode, InotifyMask.IN_DELETE_SELF | (isDirectory ? InotifyMask.IN_ISDIR : 0), 0, null);
        if (byFile.TryGetValue((mount, inode), out List<InotifyWatch>? list))
        {
            InotifyWatch[] ending = list.ToArray();
            for (int index = 0; index < ending.Length; index++)
            {
                ending[index].Instance.Forget(ending[index]);
            }
        }
    }

    // An event reaches a watch whose mask has its bit (IN_ISDIR rides along, it is no event of
    // its own); a IN_ONESHOT watch ends after the first.
    private void Tell(VfsMount mount, long inode, uint mask, uint cookie, string? name)
    {
        if (!byFile.TryGetValue((mount, inode), out List<InotifyWatch>? list))
        {
            return;
        }
        InotifyWatch[] watching = list.ToArray();
        for (int index = 0; index < watching.Length; index++)
        {
            InotifyWatch watch = watching[index];
            if ((watch.Mask & mask & InotifyMask.IN_ALL_EVENTS) == 0)
            {
                continue;
            }
            watch.Instance.Queue(watch.Descriptor, mask, cookie, name);
            if ((watch.Mask & InotifyMask.IN_ONESHOT) != 0)
            {
                watch.Instance.Forget(watch);
            }
        }
    }
}
