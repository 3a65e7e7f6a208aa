// A deterministic writer of cpio "newc" archives, for the initrd mounts of a program's kernel:
// the build packs a folder into an archive that is embedded in the program and unpacked into a
// ramfs at boot (kernel/Initrd). Self-contained (BCL only, APIs on netstandard2.0 as well as
// .NET), so the package's task assembly and the tests compile it as it is.
//
// The same folder always gives the same bytes: entries sorted by ordinal path (so a directory
// comes before everything in it), mtime, uid, gid and device numbers 0, inode numbers 0, 1, 2...
// in that order, modes from the file type only (0755 directories, 0644 files, 0777 symlinks),
// link counts as Linux gives them (1, and 2 plus the subdirectories for a directory),
// symbolic links stored as links (never followed), and the archive padded with NULs to a
// multiple of 512 bytes after TRAILER!!!, as GNU cpio and Linux's gen_init_cpio do. The folder
// itself is not an entry: it becomes the mount's root, which exists already. These are the bytes
// GNU cpio writes for the same folder, sorted, with "-o -H newc --reproducible --owner=0:0" when
// every mtime is 0 and the modes are those above (the tests hold the writer to that).
//
// It is part of the package's task assembly (generators/Unikraft.Gen.Tasks); Unikraft.Gen.targets
// runs CpioArchiveTask (below) on each initrd mount's folder. The kernel tests compile CpioWriter alone, with
// UNIKRAFT_CPIO_WRITER_ONLY defined, since they do not reference MSBuild.
//
// NOTE: format from cpio(5) and Linux Documentation/driver-api/early-userspace/buffer-format.rst.
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Runtime.InteropServices;
    using System.Text;

    public static class CpioWriter
    {
        private const int HeaderLength = 110;
        private const uint ModeDirectory = 0x4000 | 0x1ED; // S_IFDIR | 0755
        private const uint ModeFile = 0x8000 | 0x1A4; // S_IFREG | 0644
        private const uint ModeSymbolicLink = 0xA000 | 0x1FF; // S_IFLNK | 0777
        private const string Trailer = "TRAILER!!!";

        public static long Write(string folder, Stream output)
        {
            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }
            if (output == null)
            {
                throw new ArgumentNullException(nameof(output));
            }
            string root = Path.GetFullPath(folder);
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException("cpio: the folder to pack does not exist: " + root);
            }

            List<string> paths = new List<string>();
            Collect(root, "", paths);
            paths.Sort(StringComparer.Ordinal);

            long offset = 0;
            long fileBytes = 0;
            uint ino = 0;
            foreach (string relative in paths)
            {
                string full = Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
                FileAttributes attributes = File.GetAttributes(full);
                byte[] data;
                uint mode;
                uint nlink;
                if ((attributes & FileAttributes.ReparsePoint) != 0)
                {
                    mode = ModeSymbolicLink;
                    nlink = 1;
                    data = Encoding.UTF8.GetBytes(ReadLink(full));
                }
                else if ((attributes & FileAttributes.Directory) != 0)
                {
                    mode = ModeDirectory;
                    nlink = 2 + CountSubdirectories(full);
                    data = new byte[0];
                }
                else
                {
                    mode = ModeFile;
                    nlink = 1;
                    data = File.ReadAllBytes(full);
                    fileBytes += data.Length;
                }
                offset += WriteEntry(output, relative, ino, mode, nlink, data);
                ino++;
            }
            offset += WriteEntry(output, Trailer, 0, 0, 1, new byte[0]);
            int padding = (int)((512 - offset % 512) % 512);
            output.Write(new byte[padding], 0, padding);
            return fileBytes;
        }

        // Every path below the folder, relative with '/' separators; symbolic links to
        // directories are entries, never descended into.
        private static void Collect(string directory, string prefix, List<string> paths)
        {
            foreach (string entry in Directory.GetFileSystemEntries(directory))
            {
                string name = Path.GetFileName(entry);
                string relative = prefix.Length == 0 ? name : prefix + "/" + name;
                paths.Add(relative);
                FileAttributes attributes = File.GetAttributes(entry);
                if ((attributes & FileAttributes.Directory) != 0 && (attributes & FileAttributes.ReparsePoint) == 0)
                {
                    Collect(entry, relative, paths);
                }
            }
        }

        private static uint CountSubdirectories(string directory)
        {
            uint count = 0;
            foreach (string entry in Directory.GetDirectories(directory))
            {
                if ((File.GetAttributes(entry) & FileAttributes.ReparsePoint) == 0)
                {
                    count++;
                }
            }
            return count;
        }

        private static long WriteEntry(Stream output, string name, uint ino, uint mode, uint nlink, byte[] data)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            if (Array.IndexOf(nameBytes, (byte)0) >= 0)
            {
                throw new InvalidDataException("cpio: a name holds a NUL: " + name);
            }
            int nameSize = nameBytes.Length + 1;
            StringBuilder header = new StringBuilder(HeaderLength);
            header.Append("070701");
            AppendHex(header, ino);
            AppendHex(header, mode);
            AppendHex(header, 0); // uid
            AppendHex(header, 0); // gid
            AppendHex(header, nlink);
            AppendHex(header, 0); // mtime
            AppendHex(header, (uint)data.Length);
            AppendHex(header, 0); // devmajor
            AppendHex(header, 0); // devminor
            AppendHex(header, 0); // rdevmajor
            AppendHex(header, 0); // rdevminor
            AppendHex(header, (uint)nameSize);
            AppendHex(header, 0); // check, unused by 070701
            byte[] headerBytes = Encoding.ASCII.GetBytes(header.ToString());
            output.Write(headerBytes, 0, headerBytes.Length);
            output.Write(nameBytes, 0, nameBytes.Length);
            long written = HeaderLength + nameSize;
            int namePadding = (int)(Align4(written) - written) + 1;
            output.Write(new byte[namePadding], 0, namePadding);
            written = Align4(written);
            output.Write(data, 0, data.Length);
            written += data.Length;
            int dataPadding = (int)(Align4(written) - written);
            output.Write(new byte[dataPadding], 0, dataPadding);
            return written + dataPadding;
        }

        private static long Align4(long value)
        {
            return (value + 3) & ~3L;
        }

        private static void AppendHex(StringBuilder builder, uint value)
        {
            builder.Append(value.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        }

        private static string ReadLink(string path)
        {
#if NET6_0_OR_GREATER
            string? target = new FileInfo(path).LinkTarget;
            if (target == null)
            {
                throw new IOException("cpio: cannot read the symbolic link " + path);
            }
            return target;
#else
            byte[] buffer = new byte[4096];
            long length = (long)readlink(Encoding.UTF8.GetBytes(path + "\0"), buffer, (UIntPtr)buffer.Length);
            if (length < 0 || length >= buffer.Length)
            {
                throw new IOException("cpio: cannot read the symbolic link " + path + " (errno " + Marshal.GetLastWin32Error() + ")");
            }
            return Encoding.UTF8.GetString(buffer, 0, (int)length);
#endif
        }

#if !NET6_0_OR_GREATER
        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr readlink(byte[] path, byte[] buffer, UIntPtr size);
#endif
    }

#if !UNIKRAFT_CPIO_WRITER_ONLY
    // The MSBuild task: packs Folder into the archive Output. The file is rewritten only when
    // its bytes change, so an unchanged folder leaves the build incremental.
    public sealed class CpioArchiveTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Folder { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Output { get; set; } = "";

        // The mount point, for the messages.
        public string Mount { get; set; } = "";

        // The mount's Size as written (empty: the default capacity). The kernel unpacks the archive
        // into a ramfs of that capacity and refuses to boot when the files' data is larger
        // (InitrdLoader.Validate), so the build says so first.
        public string Size { get; set; } = "";

        // True for the root the build makes of the files it copies to the output (the
        // UnikraftOutputFilesRoot target): its capacity is UnikraftRootSize.
        public bool OutputFiles { get; set; }

        public override bool Execute()
        {
            try
            {
                byte[] archive;
                long fileBytes;
                using (MemoryStream stream = new MemoryStream())
                {
                    fileBytes = CpioWriter.Write(Folder, stream);
                    archive = stream.ToArray();
                }
                if (!Fits(fileBytes))
                {
                    return false;
                }
                // MSBuild writes paths with either separator (IntermediateOutputPath starts with obj and a backslash); it
                // reads a backslash as one on Linux too, and so does the resource that embeds this file.
                string output = Path.GetFullPath(Output.Replace('\\', Path.DirectorySeparatorChar));
                string directory = Path.GetDirectoryName(output);
                if (!string.IsNullOrEmpty(directory))
                {
                    Directory.CreateDirectory(directory);
                }
                if (File.Exists(output) && Same(File.ReadAllBytes(output), archive))
                {
                    return true;
                }
                File.WriteAllBytes(output, archive);
                return true;
            }
            catch (Exception exception) when (exception is IOException || exception is UnauthorizedAccessException)
            {
                Log.LogError("initrd: cannot pack the folder '{0}' into '{1}': {2}", Folder, Output, exception.Message);
                return false;
            }
        }

        private bool Fits(long fileBytes)
        {
            long capacity = Unikraft.Gen.Support.SizeText.DefaultCapacityBytes;
            if (Size.Trim().Length > 0 && !Unikraft.Gen.Support.SizeText.TryParse(Size.Trim(), out capacity))
            {
                // A bad Size is the generator's error (UKG0001 names the item); nothing to compare.
                return true;
            }
            if (fileBytes <= capacity)
            {
                return true;
            }
            string sizes = fileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes of files, more than the "
                + capacity.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes of the ramfs the kernel unpacks them into";
            string enough = ((fileBytes + (1L << 20) - 1) >> 20).ToString(System.Globalization.CultureInfo.InvariantCulture) + "M";
            if (OutputFiles)
            {
                Log.LogError("The files the build copies to the output (Content and None items with CopyToOutputDirectory, packed into the kernel's \"/\") hold "
                    + sizes + ", so the kernel could not boot: set UnikraftRootSize to at least " + enough
                    + " (with room for what the program writes), or UnikraftPackOutputFiles=false to leave them out");
            }
            else
            {
                Log.LogError("<UnikraftMount Include=\"" + Mount + "\">: the initrd folder '" + Folder + "' holds " + sizes
                    + " (its Size), so the kernel could not boot: set Size to at least " + enough + " (with room for what the program writes), or pack fewer files");
            }
            return false;
        }

        private static bool Same(byte[] left, byte[] right)
        {
            if (left.Length != right.Length)
            {
                return false;
            }
            for (int index = 0; index < left.Length; index++)
            {
                if (left[index] != right[index])
                {
                    return false;
                }
            }
            return true;
        }
    }
#endif
}
