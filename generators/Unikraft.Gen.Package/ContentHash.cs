// The hash behind a package's version (Packaging.targets): SHA-256 over the files a package is
// made from, so that changed code always packs under a new version (a NuGet cache keyed by the
// version never hands back an older build) and the same code always packs under the same one,
// on any machine and from any clone. Self-contained (BCL only, C# 7.3-compatible APIs on
// netstandard2.0), so RoslynCodeTaskFactory compiles it as it is.
//
// What is hashed, per file in ordinal order of its path relative to the root (with '/'
// separators): the path's UTF-8 bytes, a NUL, the content's length as 8 little-endian bytes,
// the content. Order, separators and length prefixes make the hash independent of the order the
// file system lists a folder in and unambiguous (no two file sets give the same byte stream).
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Security.Cryptography;
    using System.Text;
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;

    public sealed class ContentHashTask : Task
    {
        // The folder the paths are taken relative to (only relative paths enter the hash).
        [Required]
        public string Root { get; set; } = "";

        [Required]
        public ITaskItem[] Files { get; set; } = new ITaskItem[0];

        // How many hex digits of the hash to return.
        public int Length { get; set; } = 12;

        [Output]
        public string Hash { get; private set; } = "";

        public override bool Execute()
        {
            string root = Path.GetFullPath(Root);
            if (!root.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal))
            {
                root += Path.DirectorySeparatorChar;
            }

            var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (ITaskItem item in Files)
            {
                string full = Path.GetFullPath(item.ItemSpec);
                if (!full.StartsWith(root, StringComparison.Ordinal))
                {
                    Log.LogError("Unikraft.Gen package version: '{0}' is outside the hashed root '{1}'", full, root);
                    return false;
                }
                files[full.Substring(root.Length).Replace('\\', '/')] = full;
            }

            if (files.Count == 0)
            {
                Log.LogError("Unikraft.Gen package version: no files to hash under '{0}'", root);
                return false;
            }

            using (SHA256 sha = SHA256.Create())
            {
                foreach (KeyValuePair<string, string> file in files)
                {
                    byte[] content;
                    try
                    {
                        content = File.ReadAllBytes(file.Value);
                    }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                    {
                        Log.LogError("Unikraft.Gen package version: cannot read '{0}' to hash it: {1}", file.Value, e.Message);
                        return false;
                    }
                    byte[] path = Encoding.UTF8.GetBytes(file.Key);
                    Add(sha, path);
                    Add(sha, new byte[] { 0 });
                    Add(sha, BitConverter.GetBytes((long)content.Length));
                    Add(sha, content);
                }
                sha.TransformFinalBlock(new byte[0], 0, 0);
                var hex = new StringBuilder();
                foreach (byte b in sha.Hash)
                {
                    hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
                Hash = hex.ToString(0, Math.Min(Length, hex.Length));
            }
            return true;
        }

        private static void Add(HashAlgorithm sha, byte[] bytes)
        {
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
    }
}
