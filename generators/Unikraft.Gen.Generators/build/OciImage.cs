// Writes the OCI image of a NativeAOT program: `dotnet publish -p:PublishAot=true -p:UnikraftImage=oci`
// leaves, beside the native binary, an OCI image layout (oci-layout, index.json, blobs/sha256/...)
// with one manifest, one config and one gzip'd tar layer. The layer holds the binary and only what
// the host's dynamic loader needs to start it: the ELF interpreter the binary names (PT_INTERP) and
// the shared libraries of its DT_NEEDED closure, each found as the loader finds it (the object's
// own RUNPATH or RPATH, then /etc/ld.so.conf, then the loader's default folders) and stored at the
// path where it was found; and, unless the program is built with invariant globalization, ICU,
// which the .NET runtime opens by name (dlopen) for culture data and without which it stops. There
// is no shell, no package manager and no other file.
//
// The kernel's confinement (the seccomp deny list that the manifest's "Confinement" section names)
// travels as a profile in the format of the OCI runtime spec's linux.seccomp. The image config has
// no seccomp field, so the profile is a Config.Labels entry (SeccompLabel, the label Podman takes a
// profile from with --seccomp-policy=image): the image spec's
// conversion to a runtime bundle (conversion.md) makes every label an annotation of the bundle's
// config.json, and OciBundleTask (target UnikraftOciBundle) copies it from there into
// linux.seccomp, where runc applies it. The same profile is written as a file beside the image,
// for the runtimes that take one (docker --security-opt seccomp=, a Kubernetes Localhost profile).
//
// Same inputs, same bytes: entries sorted by ordinal path, mtime, uid and gid 0, modes fixed (0755
// for folders and for every file, each an ELF object the loader maps), no timestamps in any JSON,
// keys in a fixed order, and gzip from the runtime's own zlib with its header's time field 0.
//
// It is part of the package's task assembly (generators/Unikraft.Gen.Tasks, netstandard2.0), and
// Unikraft.Gen.targets runs OciImageTask after Publish; the ELF reader, the tar writer and the
// JSON helpers are here too, each in its own class. The end-to-end tests compile
// it without the tasks (UNIKRAFT_OCI_IMAGE_ONLY), since they do not reference MSBuild.
//
// NOTE: formats from the OCI image spec v1.1 (image-layout.md, manifest.md, config.md,
// image-index.md, descriptor.md, conversion.md), the OCI runtime spec v1.1 (config-linux.md,
// "Seccomp"), POSIX.1-1988 ustar (pax(1), "ustar Interchange Format"), RFC 1952 (gzip) and the
// ELF-64 Object File Format (program headers, the dynamic section).
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.IO.Compression;
    using System.Security.Cryptography;
    using System.Text;

    // What an ELF64 little-endian object tells the dynamic loader: its interpreter, the libraries
    // it needs and where it asks for them to be looked up first.
    public sealed class ElfDependencies
    {
        // NOTE: from the ELF-64 Object File Format and elf.h.
        private const int ProgramTypeInterpreter = 3;
        private const int SectionTypeDynamic = 6;
        private const long TagNeeded = 1;
        private const long TagRunPathOld = 15;
        private const long TagRunPath = 29;
        public const int MachineX86_64 = 62;

        private ElfDependencies(int machine, string interpreter, List<string> needed, List<string> runPaths)
        {
            Machine = machine;
            Interpreter = interpreter;
            Needed = needed;
            RunPaths = runPaths;
        }

        public int Machine { get; }

        // The PT_INTERP path, or "" (a shared library, or a static executable).
        public string Interpreter { get; }

        // DT_NEEDED, in the order written.
        public List<string> Needed { get; }

        // DT_RUNPATH or DT_RPATH folders, with $ORIGIN as written.
        public List<string> RunPaths { get; }

        public static ElfDependencies Read(byte[] bytes)
        {
            if (bytes.Length < 64 || bytes[0] != 0x7F || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            {
                throw new InvalidDataException("not an ELF file");
            }

            if (bytes[4] != 2 || bytes[5] != 1)
            {
                throw new InvalidDataException("not a 64-bit little-endian ELF file");
            }

            // NOTE: e_machine at 0x12, e_phoff at 0x20, e_shoff at 0x28, e_phentsize at 0x36,
            // e_phnum at 0x38, e_shentsize at 0x3A, e_shnum at 0x3C.
            int machine = UInt16(bytes, 0x12);
            string interpreter = "";
            long programTable = (long)UInt64(bytes, 0x20);
            int programSize = UInt16(bytes, 0x36);
            int programCount = UInt16(bytes, 0x38);
            for (int index = 0; index < programCount; index++)
            {
                long header = programTable + (long)index * programSize;
                if ((int)UInt32(bytes, header) == ProgramTypeInterpreter)
                {
                    interpreter = CString(bytes, (long)UInt64(bytes, header + 8));
                }
            }

            var needed = new List<string>();
            var runPaths = new List<string>();
            long sectionTable = (long)UInt64(bytes, 0x28);
            int sectionSize = UInt16(bytes, 0x3A);
            int sectionCount = UInt16(bytes, 0x3C);
            for (int index = 0; index < sectionCount; index++)
            {
                long header = sectionTable + (long)index * sectionSize;
                if ((int)UInt32(bytes, header + 4) != SectionTypeDynamic)
                {
                    continue;
                }

                long entries = (long)UInt64(bytes, header + 24);
                long entriesSize = (long)UInt64(bytes, header + 32);
                long stringsHeader = sectionTable + (long)UInt32(bytes, header + 40) * sectionSize;
                long strings = (long)UInt64(bytes, stringsHeader + 24);
                for (long entry = entries; entry + 16 <= entries + entriesSize; entry += 16)
                {
                    long tag = (long)UInt64(bytes, entry);
                    if (tag == 0)
                    {
                        break;
                    }

                    if (tag == TagNeeded)
                    {
                        needed.Add(CString(bytes, strings + (long)UInt64(bytes, entry + 8)));
                    }
                    else if (tag == TagRunPath || tag == TagRunPathOld)
                    {
                        foreach (string folder in CString(bytes, strings + (long)UInt64(bytes, entry + 8)).Split(':'))
                        {
                            if (folder.Length > 0)
                            {
                                runPaths.Add(folder);
                            }
                        }
                    }
                }
            }

            return new ElfDependencies(machine, interpreter, needed, runPaths);
        }

        private static ushort UInt16(byte[] bytes, long offset) => (ushort)(bytes[offset] | bytes[offset + 1] << 8);

        private static uint UInt32(byte[] bytes, long offset) => (uint)(UInt16(bytes, offset) | UInt16(bytes, offset + 2) << 16);

        private static ulong UInt64(byte[] bytes, long offset) => UInt32(bytes, offset) | (ulong)UInt32(bytes, offset + 4) << 32;

        private static string CString(byte[] bytes, long offset)
        {
            long end = offset;
            while (end < bytes.Length && bytes[end] != 0)
            {
                end++;
            }

            return Encoding.UTF8.GetString(bytes, (int)offset, (int)(end - offset));
        }
    }

    // One file of the image's layer: where it goes in the image, and where its bytes come from.
    public sealed class LayerFile
    {
        public LayerFile(string imagePath, string hostPath, string why)
        {
            ImagePath = imagePath;
            HostPath = hostPath;
            Why = why;
        }

        // Absolute, inside the image.
        public string ImagePath { get; }

        public string HostPath { get; }

        // "the program", "its ELF interpreter", "needed by /app/Hello".
        public string Why { get; }
    }

    // The binary, its interpreter and the closure of DT_NEEDED, found as ld.so(8) finds them.
    public static class LoaderClosure
    {
        // The folders the loader searches after an object's own RUNPATH: those of /etc/ld.so.conf
        // (the loader reads them from its cache, which ldconfig makes from that file) and then its
        // built-in defaults, the multiarch ones first as Debian's loader has them.
        public static List<string> SystemFolders(string configuration = "/etc/ld.so.conf")
        {
            var folders = new List<string>();
            ReadConfiguration(configuration, folders, 0);
            foreach (string folder in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib" })
            {
                if (!folders.Contains(folder))
                {
                    folders.Add(folder);
                }
            }

            return folders;
        }

        private static void ReadConfiguration(string file, List<string> folders, int depth)
        {
            if (depth > 8 || !File.Exists(file))
            {
                return;
            }

            foreach (string raw in File.ReadAllLines(file))
            {
                int comment = raw.IndexOf('#');
                string line = (comment < 0 ? raw : raw.Substring(0, comment)).Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith("include ", StringComparison.Ordinal))
                {
                    string pattern = line.Substring(8).Trim();
                    string directory = Path.GetDirectoryName(pattern) ?? "/";
                    if (!Path.IsPathRooted(directory))
                    {
                        directory = Path.Combine(Path.GetDirectoryName(file) ?? "/", directory);
                    }

                    if (!Directory.Exists(directory))
                    {
                        continue;
                    }

                    string[] included = Directory.GetFiles(directory, Path.GetFileName(pattern));
                    Array.Sort(included, StringComparer.Ordinal);
                    foreach (string each in included)
                    {
                        ReadConfiguration(each, folders, depth + 1);
                    }

                    continue;
                }

                string folder = line.TrimEnd('/');
                if (folder.StartsWith("/", StringComparison.Ordinal) && !folders.Contains(folder))
                {
                    folders.Add(folder);
                }
            }
        }

        // What the .NET runtime opens itself for culture data unless InvariantGlobalization is true:
        // ICU's libicuuc.so.N and libicui18n.so.N, probing N from high to low (the runtime's
        // pal_icushim does the same), so the newest version the host has. Its data library comes
        // with it through DT_NEEDED.
        public static List<KeyValuePair<string, string>> IcuLibraries(IList<string> folders)
        {
            int newest = -1;
            foreach (string folder in folders)
            {
                if (!Directory.Exists(folder))
                {
                    continue;
                }

                // NOTE: the pattern matches "libicuuc.so" too (a trailing ".*" matches no extension).
                foreach (string path in Directory.GetFiles(folder, "libicuuc.so.*"))
                {
                    string name = Path.GetFileName(path);
                    string suffix = name.Length > "libicuuc.so.".Length ? name.Substring("libicuuc.so.".Length) : "";
                    if (int.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int version) && version > newest
                        && Exists(folders, "libicui18n.so." + suffix))
                    {
                        newest = version;
                    }
                }
            }

            if (newest < 0)
            {
                throw new InvalidDataException("the program loads ICU for culture data (InvariantGlobalization is not true), and no libicuuc.so.N with its libicui18n.so.N is in " +
                    string.Join(", ", ToArray(folders)) + ": install ICU (the Debian package libicuNN: apt-cache search '^libicu[0-9]'), or set InvariantGlobalization to true");
            }

            const string Why = "opened by the .NET runtime for culture data (InvariantGlobalization is not true)";
            return new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("libicuuc.so." + newest, Why),
                new KeyValuePair<string, string>("libicui18n.so." + newest, Why),
            };
        }

        private static bool Exists(IList<string> folders, string name)
        {
            foreach (string folder in folders)
            {
                if (File.Exists(Path.Combine(folder, name)))
                {
                    return true;
                }
            }

            return false;
        }

        // The layer's files, sorted by image path. Throws InvalidDataException naming what cannot
        // be found or read.
        // opened: libraries the program opens itself (dlopen) rather than through DT_NEEDED, each
        // with why; they and their closure are found the same way.
        public static List<LayerFile> Resolve(string binary, string imagePath, IList<string> systemFolders, IList<KeyValuePair<string, string>> opened)
        {
            var files = new SortedDictionary<string, LayerFile>(StringComparer.Ordinal);
            files.Add(imagePath, new LayerFile(imagePath, binary, "the program"));
            ElfDependencies program = ReadElf(binary);
            if (program.Machine != ElfDependencies.MachineX86_64)
            {
                throw new InvalidDataException(binary + " is not an x86-64 program (ELF machine " + program.Machine + ")");
            }

            string loaderName = "";
            if (program.Interpreter.Length > 0)
            {
                if (!File.Exists(program.Interpreter))
                {
                    throw new InvalidDataException(binary + " names the ELF interpreter " + program.Interpreter + ", which does not exist on this machine");
                }

                files[program.Interpreter] = new LayerFile(program.Interpreter, program.Interpreter, "its ELF interpreter (PT_INTERP)");
                loaderName = Path.GetFileName(program.Interpreter);
            }

            // Breadth first from the program, as the loader loads them, then from what the program
            // opens; a name is loaded once.
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<(string ImagePath, string HostPath, ElfDependencies Elf)>();
            queue.Enqueue((imagePath, binary, program));
            int next = 0;
            while (queue.Count > 0 || next < opened.Count)
            {
                if (queue.Count == 0)
                {
                    KeyValuePair<string, string> open = opened[next++];
                    if (!loaded.Add(open.Key))
                    {
                        continue;
                    }

                    string path = Find(open.Key, binary, new List<string>(), systemFolders, out ElfDependencies openedLibrary);
                    files[path] = new LayerFile(path, path, open.Value);
                    queue.Enqueue((path, path, openedLibrary));
                    continue;
                }

                (string parentImage, string parentHost, ElfDependencies parent) = queue.Dequeue();
                foreach (string name in parent.Needed)
                {
                    // The interpreter is the loader itself: libc names it, and it is loaded already.
                    if (name == loaderName || !loaded.Add(name))
                    {
                        continue;
                    }

                    string found = Find(name, parentHost, parent.RunPaths, systemFolders, out ElfDependencies library);
                    if (!files.ContainsKey(found))
                    {
                        files.Add(found, new LayerFile(found, found, "needed by " + parentImage));
                    }

                    queue.Enqueue((found, found, library));
                }
            }

            return new List<LayerFile>(files.Values);
        }

        private static string Find(string name, string parentHost, List<string> runPaths, IList<string> systemFolders, out ElfDependencies library)
        {
            var searched = new List<string>();
            if (name.IndexOf('/') >= 0)
            {
                searched.Add(name);
            }
            else
            {
                string origin = Path.GetDirectoryName(parentHost) ?? "/";
                foreach (string folder in runPaths)
                {
                    searched.Add(Path.Combine(folder.Replace("${ORIGIN}", origin).Replace("$ORIGIN", origin), name));
                }

                foreach (string folder in systemFolders)
                {
                    searched.Add(folder + "/" + name);
                }
            }

            foreach (string candidate in searched)
            {
                if (!File.Exists(candidate))
                {
                    continue;
                }

                ElfDependencies elf = ReadElf(candidate);
                // A library of another architecture in a shared folder (/usr/lib32, i386 in /lib)
                // is skipped, as the loader skips it.
                if (elf.Machine == ElfDependencies.MachineX86_64)
                {
                    library = elf;
                    return candidate;
                }
            }

            throw new InvalidDataException("the shared library " + name + " (needed by " + parentHost + ") is in none of " + string.Join(", ", runPaths.Count > 0 ? runPaths.ToArray() : new string[0]) +
                (runPaths.Count > 0 ? ", " : "") + string.Join(", ", ToArray(systemFolders)));
        }

        private static string[] ToArray(IList<string> list)
        {
            var array = new string[list.Count];
            list.CopyTo(array, 0);
            return array;
        }

        private static ElfDependencies ReadElf(string path)
        {
            try
            {
                return ElfDependencies.Read(File.ReadAllBytes(path));
            }
            catch (IndexOutOfRangeException)
            {
                throw new InvalidDataException(path + ": a truncated ELF file");
            }
            catch (InvalidDataException exception)
            {
                throw new InvalidDataException(path + ": " + exception.Message);
            }
        }
    }

    // A POSIX ustar archive with the same bytes for the same files: folders first as their paths
    // sort, mtime, uid and gid 0, no user or group names, mode 0755.
    public static class DeterministicTar
    {
        private const int Block = 512;

        public static byte[] Write(IList<LayerFile> files)
        {
            var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (LayerFile file in files)
            {
                string relative = file.ImagePath.TrimStart('/');
                int slash = relative.IndexOf('/');
                while (slash > 0)
                {
                    entries[relative.Substring(0, slash + 1)] = "";
                    slash = relative.IndexOf('/', slash + 1);
                }

                entries[relative] = file.HostPath;
            }

            using (var output = new MemoryStream())
            {
                foreach (KeyValuePair<string, string> entry in entries)
                {
                    bool folder = entry.Value.Length == 0;
                    byte[] content = folder ? new byte[0] : File.ReadAllBytes(entry.Value);
                    output.Write(Header(entry.Key, content.Length, folder), 0, Block);
                    output.Write(content, 0, content.Length);
                    int padding = (Block - content.Length % Block) % Block;
                    output.Write(new byte[padding], 0, padding);
                }

                // Two zero blocks end the archive.
                output.Write(new byte[Block * 2], 0, Block * 2);
                return output.ToArray();
            }
        }

        private static byte[] Header(string name, long size, bool folder)
        {
            byte[] header = new byte[Block];
            string prefix = "";
            if (Encoding.UTF8.GetByteCount(name) > 100)
            {
                // ustar splits a long path at a '/' into a prefix of up to 155 bytes and a name of up to 100.
                int split = name.LastIndexOf('/', name.Length - 2);
                while (split > 0 && Encoding.UTF8.GetByteCount(name.Substring(split + 1)) > 100)
                {
                    split = name.LastIndexOf('/', split - 1);
                }

                if (split <= 0 || Encoding.UTF8.GetByteCount(name.Substring(0, split)) > 155)
                {
                    throw new InvalidDataException("the path " + name + " is too long for a ustar archive");
                }

                prefix = name.Substring(0, split);
                name = name.Substring(split + 1);
            }

            Put(header, 0, 100, name);
            Put(header, 100, 8, "0000755");
            Put(header, 108, 8, "0000000");
            Put(header, 116, 8, "0000000");
            Put(header, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
            Put(header, 136, 12, "00000000000");
            header[156] = folder ? (byte)'5' : (byte)'0';
            Put(header, 257, 6, "ustar");
            Put(header, 263, 2, "00");
            Put(header, 329, 8, "0000000");
            Put(header, 337, 8, "0000000");
            Put(header, 345, 155, prefix);

            // The checksum counts its own field as eight spaces.
            for (int index = 148; index < 156; index++)
            {
                header[index] = (byte)' ';
            }

            int sum = 0;
            foreach (byte value in header)
            {
                sum += value;
            }

            Put(header, 148, 7, Convert.ToString(sum, 8).PadLeft(6, '0'));
            header[155] = (byte)' ';
            return header;
        }

        private static void Put(byte[] header, int offset, int length, string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            Array.Copy(bytes, 0, header, offset, Math.Min(bytes.Length, length));
        }
    }

    // The seccomp profile of the kernel's confinement, in the OCI runtime spec's linux.seccomp format.
    public static class SeccompProfile
    {
        public const string ManifestLine = "refused with EPERM once booted: ";

        // NOTE: EPERM (errno-base.h) and CLONE_THREAD (linux/sched.h).
        private const int Eperm = 1;
        private const int CloneThread = 0x10000;

        // The calls the runtime itself makes to start the program after it has applied the
        // profile: runc installs the filter in its init process and then calls execve on the
        // program. The kernel's own filter, installed at boot, refuses it from then on.
        private static readonly string[] StartedWith = { "execve" };

        // The profile (compact JSON), or "" when the manifest says the kernel is not confined.
        // Throws InvalidDataException on an entry the profile cannot express.
        public static string FromManifest(string manifest)
        {
            string refused = "";
            foreach (string raw in manifest.Split('\n'))
            {
                string line = raw.TrimEnd('\r').Trim();
                if (line.StartsWith(ManifestLine, StringComparison.Ordinal))
                {
                    refused = line.Substring(ManifestLine.Length);
                }
            }

            if (refused.Length == 0)
            {
                return "";
            }

            var names = new List<string>();
            bool cloneOfProcess = false;
            foreach (string item in refused.Split(','))
            {
                string name = item.Trim();
                if (name == "clone without CLONE_THREAD")
                {
                    cloneOfProcess = true;
                    continue;
                }

                if (name.Length == 0 || !IsSyscallName(name))
                {
                    throw new InvalidDataException("the manifest's confinement names '" + name + "', which is not a system call the profile can refuse");
                }

                if (Array.IndexOf(StartedWith, name) < 0)
                {
                    names.Add(name);
                }
            }

            names.Sort(StringComparer.Ordinal);
            var json = new StringBuilder();
            json.Append("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[");
            json.Append("{\"names\":[");
            for (int index = 0; index < names.Count; index++)
            {
                json.Append(index == 0 ? "" : ",").Append(Json.Quote(names[index]));
            }

            json.Append("],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":").Append(Eperm).Append('}');
            if (cloneOfProcess)
            {
                // clone(2)'s first argument holds the flags: refused when CLONE_THREAD is clear.
                json.Append(",{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":").Append(Eperm)
                    .Append(",\"args\":[{\"index\":0,\"value\":").Append(CloneThread).Append(",\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}");
            }

            json.Append("]}");
            return json.ToString();
        }

        private static bool IsSyscallName(string name)
        {
            foreach (char c in name)
            {
                if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_')
                {
                    return false;
                }
            }

            return true;
        }
    }

    // What the image is made from.
    public sealed class OciImageRequest
    {
        public string Binary { get; set; } = "";

        // Where the binary goes inside the image.
        public string EntryPath { get; set; } = "";

        public string Name { get; set; } = "";

        public string Tag { get; set; } = "";

        // The compact JSON of SeccompProfile, or "" for none.
        public string SeccompProfile { get; set; } = "";

        public List<string> LibraryFolders { get; set; } = new List<string>();

        // The runtime loads ICU (InvariantGlobalization is not true).
        public bool Globalization { get; set; }
    }

    // What was written.
    public sealed class OciImageResult
    {
        public string ManifestDigest { get; set; } = "";

        public string ConfigDigest { get; set; } = "";

        public string LayerDigest { get; set; } = "";

        public long LayerSize { get; set; }

        public List<LayerFile> Files { get; set; } = new List<LayerFile>();
    }

    public static class OciImage
    {
        // The label Podman reads a profile from (podman run --seccomp-policy=image); no
        // specification names one.
        public const string SeccompLabel = "io.containers.seccomp.profile";
        public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
        public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
        public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
        public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";

        // The history entry's time: tools expect one (umoci stat fails without it), and a build
        // time would make every image differ. The image config's own "created" is left out.
        private const string Epoch = "1970-01-01T00:00:00Z";

        // Writes the layout into folder: blobs no longer referenced are removed, unchanged files
        // are left as they are.
        public static OciImageResult Write(OciImageRequest request, string folder)
        {
            List<KeyValuePair<string, string>> opened = request.Globalization ? LoaderClosure.IcuLibraries(request.LibraryFolders) : new List<KeyValuePair<string, string>>();
            List<LayerFile> files = LoaderClosure.Resolve(request.Binary, request.EntryPath, request.LibraryFolders, opened);
            byte[] tar = DeterministicTar.Write(files);
            byte[] layer = Gzip(tar);

            var labels = new List<KeyValuePair<string, string>>();
            if (request.SeccompProfile.Length > 0)
            {
                labels.Add(new KeyValuePair<string, string>(SeccompLabel, request.SeccompProfile));
            }

            labels.Add(new KeyValuePair<string, string>("org.opencontainers.image.title", request.Name));
            labels.Add(new KeyValuePair<string, string>("org.opencontainers.image.version", request.Tag));

            var config = new StringBuilder();
            config.Append("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[").Append(Json.Quote(request.EntryPath))
                .Append("],\"WorkingDir\":\"/\",\"Labels\":").Append(Json.Object(labels)).Append('}')
                .Append(",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[").Append(Json.Quote(Digest(tar))).Append("]}")
                .Append(",\"history\":[{\"created\":\"").Append(Epoch).Append("\",\"created_by\":\"Unikraft.Gen: the NativeAOT program and the files its loader needs\"}]}");
            byte[] configBytes = Encoding.UTF8.GetBytes(config.ToString());

            var annotations = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("org.opencontainers.image.title", request.Name),
                new KeyValuePair<string, string>("org.opencontainers.image.version", request.Tag),
            };
            string manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + ManifestMediaType + "\",\"config\":" + Descriptor(ConfigMediaType, configBytes) +
                ",\"layers\":[" + Descriptor(LayerMediaType, layer) + "],\"annotations\":" + Json.Object(annotations) + "}";
            byte[] manifestBytes = Encoding.UTF8.GetBytes(manifest);

            // org.opencontainers.image.ref.name is what `umoci unpack --image <folder>:<tag>` and
            // skopeo's oci:<folder>:<tag> look for.
            var reference = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("org.opencontainers.image.ref.name", request.Tag),
            };
            string index = "{\"schemaVersion\":2,\"mediaType\":\"" + IndexMediaType + "\",\"manifests\":[" +
                Descriptor(ManifestMediaType, manifestBytes, "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":" + Json.Object(reference)) + "]}";

            string blobs = Path.Combine(folder, "blobs", "sha256");
            Directory.CreateDirectory(blobs);
            var kept = new HashSet<string>(StringComparer.Ordinal);
            foreach (byte[] blob in new[] { layer, configBytes, manifestBytes })
            {
                string name = Digest(blob).Substring("sha256:".Length);
                kept.Add(name);
                WriteIfDifferent(Path.Combine(blobs, name), blob);
            }

            foreach (string stale in Directory.GetFiles(blobs))
            {
                if (!kept.Contains(Path.GetFileName(stale)))
                {
                    File.Delete(stale);
                }
            }

            WriteIfDifferent(Path.Combine(folder, "oci-layout"), Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
            WriteIfDifferent(Path.Combine(folder, "index.json"), Encoding.UTF8.GetBytes(index));
            return new OciImageResult
            {
                ManifestDigest = Digest(manifestBytes),
                ConfigDigest = Digest(configBytes),
                LayerDigest = Digest(layer),
                LayerSize = layer.Length,
                Files = files,
            };
        }

        public static string Digest(byte[] bytes)
        {
            using (SHA256 sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(bytes);
                var text = new StringBuilder("sha256:", 71);
                foreach (byte value in hash)
                {
                    text.Append(value.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }

                return text.ToString();
            }
        }

        private static string Descriptor(string mediaType, byte[] blob, string extra = "")
        {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest(blob) + "\",\"size\":" +
                blob.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + (extra.Length > 0 ? "," + extra : "") + "}";
        }

        private static byte[] Gzip(byte[] bytes)
        {
            using (var output = new MemoryStream())
            {
                using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
                {
                    gzip.Write(bytes, 0, bytes.Length);
                }

                return output.ToArray();
            }
        }

        private static void WriteIfDifferent(string path, byte[] bytes)
        {
            if (File.Exists(path) && Same(File.ReadAllBytes(path), bytes))
            {
                return;
            }

            File.WriteAllBytes(path, bytes);
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

    // The little JSON these files need: writing strings and flat objects, and, for a bundle's
    // config.json, reading a document and writing it back with one member set.
    public static class Json
    {
        public static string Quote(string text)
        {
            var quoted = new StringBuilder(text.Length + 2);
            quoted.Append('"');
            foreach (char c in text)
            {
                switch (c)
                {
                    case '"': quoted.Append("\\\""); break;
                    case '\\': quoted.Append("\\\\"); break;
                    case '\n': quoted.Append("\\n"); break;
                    case '\r': quoted.Append("\\r"); break;
                    case '\t': quoted.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                        {
                            quoted.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            quoted.Append(c);
                        }

                        break;
                }
            }

            return quoted.Append('"').ToString();
        }

        public static string Object(IList<KeyValuePair<string, string>> members)
        {
            var json = new StringBuilder("{");
            for (int index = 0; index < members.Count; index++)
            {
                json.Append(index == 0 ? "" : ",").Append(Quote(members[index].Key)).Append(':').Append(Quote(members[index].Value));
            }

            return json.Append('}').ToString();
        }

        // Sets path (member names from the top) to the JSON value given as text, keeping every other
        // member, in order. The text is read and written back compact.
        public static string SetMember(string document, string[] path, string valueJson) => Edit(document, path, valueJson, append: false);

        // Appends the JSON value given as text to the array at path (made when missing).
        public static string AppendToArray(string document, string[] path, string valueJson) => Edit(document, path, valueJson, append: true);

        private static string Edit(string document, string[] path, string valueJson, bool append)
        {
            int position = 0;
            object root = Parse(document, ref position);
            SkipSpace(document, ref position);
            if (position != document.Length)
            {
                throw new InvalidDataException("JSON: unexpected text at offset " + position);
            }

            int at = 0;
            object value = Parse(valueJson, ref at);
            object current = root;
            for (int depth = 0; depth < path.Length; depth++)
            {
                var members = current as List<KeyValuePair<string, object>>;
                if (members == null)
                {
                    throw new InvalidDataException("JSON: " + string.Join(".", path, 0, depth) + " is not an object");
                }

                int found = members.FindIndex(m => m.Key == path[depth]);
                if (depth == path.Length - 1 && append)
                {
                    if (found < 0)
                    {
                        members.Add(new KeyValuePair<string, object>(path[depth], new List<object>()));
                        found = members.Count - 1;
                    }

                    var items = members[found].Value as List<object>;
                    if (items == null)
                    {
                        throw new InvalidDataException("JSON: " + string.Join(".", path) + " is not an array");
                    }

                    items.Add(value);
                    break;
                }

                if (depth == path.Length - 1)
                {
                    if (found >= 0)
                    {
                        members[found] = new KeyValuePair<string, object>(path[depth], value);
                    }
                    else
                    {
                        members.Add(new KeyValuePair<string, object>(path[depth], value));
                    }

                    break;
                }

                if (found < 0)
                {
                    members.Add(new KeyValuePair<string, object>(path[depth], new List<KeyValuePair<string, object>>()));
                    found = members.Count - 1;
                }

                current = members[found].Value;
            }

            var output = new StringBuilder();
            Write(root, output);
            return output.ToString();
        }

        // The string value at path, or "" when there is none.
        public static string GetString(string document, string[] path)
        {
            int position = 0;
            object current = Parse(document, ref position);
            foreach (string name in path)
            {
                var members = current as List<KeyValuePair<string, object>>;
                int found = members == null ? -1 : members.FindIndex(m => m.Key == name);
                if (members == null || found < 0)
                {
                    return "";
                }

                current = members[found].Value;
            }

            return current as string ?? "";
        }

        // A value: an object (ordered members), an array (List<object>), a string, or a Literal
        // (number, true, false, null as written).
        private sealed class Literal
        {
            public Literal(string text)
            {
                Text = text;
            }

            public string Text { get; }
        }

        private static object Parse(string text, ref int position)
        {
            SkipSpace(text, ref position);
            if (position >= text.Length)
            {
                throw new InvalidDataException("JSON: unexpected end");
            }

            char c = text[position];
            if (c == '{')
            {
                position++;
                var members = new List<KeyValuePair<string, object>>();
                SkipSpace(text, ref position);
                if (position < text.Length && text[position] == '}')
                {
                    position++;
                    return members;
                }

                while (true)
                {
                    SkipSpace(text, ref position);
                    string name = ParseString(text, ref position);
                    SkipSpace(text, ref position);
                    Expect(text, ref position, ':');
                    members.Add(new KeyValuePair<string, object>(name, Parse(text, ref position)));
                    SkipSpace(text, ref position);
                    if (position < text.Length && text[position] == ',')
                    {
                        position++;
                        continue;
                    }

                    Expect(text, ref position, '}');
                    return members;
                }
            }

            if (c == '[')
            {
                position++;
                var items = new List<object>();
                SkipSpace(text, ref position);
                if (position < text.Length && text[position] == ']')
                {
                    position++;
                    return items;
                }

                while (true)
                {
                    items.Add(Parse(text, ref position));
                    SkipSpace(text, ref position);
                    if (position < text.Length && text[position] == ',')
                    {
                        position++;
                        continue;
                    }

                    Expect(text, ref position, ']');
                    return items;
                }
            }

            if (c == '"')
            {
                return ParseString(text, ref position);
            }

            int start = position;
            while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] == '-' || text[position] == '+' || text[position] == '.'))
            {
                position++;
            }

            if (position == start)
            {
                throw new InvalidDataException("JSON: unexpected '" + c + "' at offset " + start);
            }

            return new Literal(text.Substring(start, position - start));
        }

        private static string ParseString(string text, ref int position)
        {
            Expect(text, ref position, '"');
            var value = new StringBuilder();
            while (position < text.Length && text[position] != '"')
            {
                char c = text[position++];
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }

                char escaped = text[position++];
                switch (escaped)
                {
                    case 'n': value.Append('\n'); break;
                    case 'r': value.Append('\r'); break;
                    case 't': value.Append('\t'); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case 'u':
                        value.Append((char)Convert.ToInt32(text.Substring(position, 4), 16));
                        position += 4;
                        break;
                    default: value.Append(escaped); break;
                }
            }

            Expect(text, ref position, '"');
            return value.ToString();
        }

        private static void Expect(string text, ref int position, char c)
        {
            if (position >= text.Length || text[position] != c)
            {
                throw new InvalidDataException("JSON: expected '" + c + "' at offset " + position);
            }

            position++;
        }

        private static void SkipSpace(string text, ref int position)
        {
            while (position < text.Length && char.IsWhiteSpace(text[position]))
            {
                position++;
            }
        }

        private static void Write(object value, StringBuilder output)
        {
            if (value is string text)
            {
                output.Append(Quote(text));
            }
            else if (value is Literal literal)
            {
                output.Append(literal.Text);
            }
            else if (value is List<KeyValuePair<string, object>> members)
            {
                output.Append('{');
                for (int index = 0; index < members.Count; index++)
                {
                    output.Append(index == 0 ? "" : ",").Append(Quote(members[index].Key)).Append(':');
                    Write(members[index].Value, output);
                }

                output.Append('}');
            }
            else if (value is List<object> items)
            {
                output.Append('[');
                for (int index = 0; index < items.Count; index++)
                {
                    output.Append(index == 0 ? "" : ",");
                    Write(items[index], output);
                }

                output.Append(']');
            }
        }
    }

#if !UNIKRAFT_OCI_IMAGE_ONLY
    // Writes the image layout Folder from the published Binary, and the seccomp profile of the
    // kernel's Manifest (if it confines) to ProfileFile.
    public sealed class OciImageTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Binary { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Folder { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Name { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Tag { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Manifest { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string ProfileFile { get; set; } = "";

        // The runtime option System.Globalization.Invariant (what InvariantGlobalization sets):
        // unless true, the runtime loads ICU, which goes into the image.
        public string InvariantGlobalization { get; set; } = "";

        public override bool Execute()
        {
            try
            {
                string profile = "";
                if (File.Exists(Manifest))
                {
                    profile = SeccompProfile.FromManifest(File.ReadAllText(Manifest));
                }
                else
                {
                    Log.LogWarning("OCI image: no kernel manifest at {0}, so the image carries no seccomp profile", Manifest);
                }

                if (profile.Length > 0)
                {
                    File.WriteAllText(ProfileFile, profile);
                }
                else if (File.Exists(ProfileFile))
                {
                    File.Delete(ProfileFile);
                }

                var request = new OciImageRequest
                {
                    Binary = Binary,
                    EntryPath = "/app/" + Path.GetFileName(Binary),
                    Name = Name,
                    Tag = Tag,
                    SeccompProfile = profile,
                    LibraryFolders = LoaderClosure.SystemFolders(),
                    Globalization = !string.Equals(InvariantGlobalization.Trim(), "true", StringComparison.OrdinalIgnoreCase),
                };
                OciImageResult result = OciImage.Write(request, Folder);
                var contents = new StringBuilder();
                foreach (LayerFile file in result.Files)
                {
                    contents.Append("\n  ").Append(file.ImagePath).Append("  (").Append(file.Why).Append(')');
                }

                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    "Unikraft OCI image {0}:{1} -> {2} ({3}, layer {4} bytes, seccomp profile: {5}){6}",
                    Name, Tag, Folder, result.ManifestDigest, result.LayerSize, profile.Length > 0 ? ProfileFile : "none, the kernel is not confined", contents.ToString());
                return true;
            }
            catch (Exception exception) when (exception is IOException || exception is InvalidDataException || exception is UnauthorizedAccessException)
            {
                Log.LogError("OCI image {0}:{1}: cannot write it from {2}: {3}", Name, Tag, Binary, exception.Message);
                return false;
            }
        }
    }

    // A runtime bundle of the image for runc: unpacks it with umoci (whose conversion makes the
    // image's labels annotations of config.json, as the image spec's conversion.md says), then puts
    // the profile carried in SeccompLabel into linux.seccomp and turns the terminal off (umoci asks
    // for one, and runc then refuses to run from a script or a pipe; the program's console is runc's
    // own stdin and stdout either way).
    public sealed class OciBundleTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Image { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Tag { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Bundle { get; set; } = "";

        // The program's hostfs folders (ReadOnly metadata true or false): each is bound into the
        // container at its own path, where the kernel opens it at boot.
        public Microsoft.Build.Framework.ITaskItem[] HostFolders { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        public override bool Execute()
        {
            string umoci = FindOnPath("umoci");
            if (umoci.Length == 0)
            {
                Log.LogError("UnikraftOciBundle needs umoci, which is not on PATH: install the Debian package umoci (sudo apt-get install umoci)");
                return false;
            }

            if (Directory.Exists(Bundle) || File.Exists(Bundle))
            {
                Log.LogError("UnikraftBundle: {0} exists already; umoci unpacks into a new folder: remove it or name another", Bundle);
                return false;
            }

            // NOTE: umoci unpack(1): --rootless for a user who is not root (files owned by that user,
            // a bundle for rootless runc).
            var start = new System.Diagnostics.ProcessStartInfo(umoci)
            {
                Arguments = "unpack " + (Environment.UserName == "root" ? "" : "--rootless ") + "--image \"" + Image.TrimEnd('/') + ":" + Tag + "\" \"" + Bundle + "\"",
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using (var process = System.Diagnostics.Process.Start(start))
            {
                if (process == null)
                {
                    Log.LogError("OCI bundle: could not start {0}", umoci);
                    return false;
                }

                System.Threading.Tasks.Task<string> error = process.StandardError.ReadToEndAsync();
                string output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    Log.LogError("OCI bundle: {0} {1} failed (exit {2}): {3}{4}", umoci, start.Arguments, process.ExitCode, output, error.Result);
                    return false;
                }
            }

            string config = Path.Combine(Bundle, "config.json");
            try
            {
                string text = Json.SetMember(File.ReadAllText(config), new[] { "process", "terminal" }, "false");
                string profile = Json.GetString(text, new[] { "annotations", OciImage.SeccompLabel });
                if (profile.Length > 0)
                {
                    text = Json.SetMember(text, new[] { "linux", "seccomp" }, profile);
                }

                var bound = new List<string>();
                foreach (Microsoft.Build.Framework.ITaskItem item in HostFolders)
                {
                    string folder = Path.GetFullPath(item.ItemSpec).TrimEnd('/');
                    bool readOnly = string.Equals(item.GetMetadata("ReadOnly").Trim(), "true", StringComparison.OrdinalIgnoreCase);
                    text = Json.AppendToArray(text, new[] { "mounts" }, "{\"destination\":" + Json.Quote(folder) + ",\"type\":\"bind\",\"source\":" + Json.Quote(folder) +
                        ",\"options\":[\"rbind\",\"" + (readOnly ? "ro" : "rw") + "\"]}");
                    bound.Add(folder + (readOnly ? " (read-only)" : ""));
                }

                File.WriteAllText(config, text);
                if (bound.Count > 0)
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Unikraft OCI bundle {0}: host folders bound at their own paths: {1}", Bundle, string.Join(", ", bound));
                }

                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    "Unikraft OCI bundle {0}: {1}; start it with: sudo runc run -b {0} <container name>", Bundle,
                    profile.Length > 0 ? "linux.seccomp set from the image's " + OciImage.SeccompLabel + " label" : "the image carries no seccomp profile (the kernel is not confined)");
                return true;
            }
            catch (Exception exception) when (exception is IOException || exception is InvalidDataException || exception is UnauthorizedAccessException)
            {
                Log.LogError("OCI bundle {0}: cannot update {1}: {2}", Bundle, config, exception.Message);
                return false;
            }
        }

        private static string FindOnPath(string tool)
        {
            foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                if (folder.Length > 0 && File.Exists(Path.Combine(folder, tool)))
                {
                    return Path.Combine(folder, tool);
                }
            }

            return "";
        }
    }
#endif
}
