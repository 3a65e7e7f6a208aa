// A mount nested in a hostfs or initrd mount has its mount point in that mount's Source folder:
// the boot finds the folder there or makes it (mkdir -p). What the boot could not do is a build
// error naming both items, never a failure at boot: a file or a symbolic link where the folder
// should be (the kernel never mounts through a link), or a folder missing from a read-only hostfs
// (the kernel may not write there). The generator cannot look at folders (analyzers and
// generators do no file IO), so this runs in the build, where the initrd is packed.
namespace Unikraft.Gen.Build
{
    using System;
    using System.IO;
    using Microsoft.Build.Framework;

    public sealed class CheckMountPointsTask : Microsoft.Build.Utilities.Task
    {
        [Required]
        public ITaskItem[] Mounts { get; set; } = new ITaskItem[0];

        [Required]
        public string ProjectDirectory { get; set; } = "";

        public override bool Execute()
        {
            foreach (ITaskItem mount in Mounts)
            {
                Check(mount);
            }
            return !Log.HasLoggedErrors;
        }

        private void Check(ITaskItem mount)
        {
            string path = mount.ItemSpec.Trim();
            ITaskItem? parent = null;
            foreach (ITaskItem candidate in Mounts)
            {
                string above = candidate.ItemSpec.Trim();
                bool contains = above == "/" ? path != "/" : path.StartsWith(above + "/", StringComparison.Ordinal);
                if (contains && (parent == null || above.Length > parent.ItemSpec.Trim().Length))
                {
                    parent = candidate;
                }
            }
            string type = parent == null ? "" : parent.GetMetadata("Type").Trim();
            if (parent == null || (type != "hostfs" && type != "initrd"))
            {
                return;
            }
            string parentPath = parent.ItemSpec.Trim();
            string source = Path.Combine(ProjectDirectory, parent.GetMetadata("Source").Trim());
            if (!Directory.Exists(source))
            {
                return;
            }
            bool readOnly = string.Equals(parent.GetMetadata("ReadOnly").Trim(), "true", StringComparison.OrdinalIgnoreCase);
            string names = "<UnikraftMount Include=\"" + path + "\">: its mount point is a folder of <UnikraftMount Include=\""
                + parentPath + "\"> (" + type + (readOnly ? ", read-only" : "") + ")";
            string relative = parentPath == "/" ? path.Substring(1) : path.Substring(parentPath.Length + 1);
            string current = source;
            foreach (string part in relative.Split('/'))
            {
                current = Path.Combine(current, part);
                // NOTE: netstandard has no FileSystemInfo.LinkTarget; on Linux, .NET reports a
                // symbolic link itself (lstat) with ReparsePoint.
                FileAttributes attributes;
                try
                {
                    attributes = File.GetAttributes(current);
                }
                catch (IOException)
                {
                    if (type == "hostfs" && readOnly)
                    {
                        Log.LogError(names + ", and the folder '" + current + "' does not exist there; the kernel may not make it in a read-only hostfs: create the folder");
                    }
                    return;
                }
                if ((attributes & FileAttributes.ReparsePoint) != 0)
                {
                    Log.LogError(names + ", but '" + current + "' is a symbolic link there; the kernel never mounts through a link: make it a folder");
                    return;
                }
                if ((attributes & FileAttributes.Directory) == 0)
                {
                    Log.LogError(names + ", but '" + current + "' is a file there, not a folder: remove it or mount elsewhere");
                    return;
                }
            }
        }
    }
}
