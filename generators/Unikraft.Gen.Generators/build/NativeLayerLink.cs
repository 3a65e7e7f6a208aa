// Runs in MSBuild between the NativeAOT compile and the link of a program whose kernel serves the
// BCL's native layer (UnikraftNativeLayer). The object file the compiler wrote says exactly which
// SystemNative_* functions the whole program imports (its own code, the BCL, every library) and
// which of them the kernel serves (its __wrap_SystemNative_* entry points). Each served import
// is sent to the kernel with -Wl,--wrap; an import that is neither served nor on the reviewed list
// of pure helpers (NativeHelpers.txt) fails the publish, naming the function, before anything is
// linked, so no half-built image is left behind.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Unikraft.Gen.Build
{
    // The global symbols of an ELF64 little-endian relocatable object: those it defines and those
    // it leaves to the link.
    public static class ElfSymbols
    {
        private const int SectionTypeSymbolTable = 2;

        // NOTE: SHT_DYNSYM, the symbols a shared library exports and imports (its only table
        // once stripped, as the runtime's are).
        public const int SectionTypeDynamicSymbols = 11;

        public static void Read(byte[] bytes, ISet<string> defined, ISet<string> undefined)
        {
            Read(bytes, defined, undefined, SectionTypeSymbolTable);
        }

        public static void Read(byte[] bytes, ISet<string> defined, ISet<string> undefined, int sectionType)
        {
            if (bytes.Length < 64 || bytes[0] != 0x7F || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            {
                throw new InvalidDataException("not an ELF file");
            }

            if (bytes[4] != 2 || bytes[5] != 1)
            {
                throw new InvalidDataException("not a 64-bit little-endian ELF file");
            }

            // NOTE: offsets from the ELF-64 Object File Format (e_shoff at 0x28, e_shentsize at
            // 0x3A, e_shnum at 0x3C; section headers of 64 bytes, symbols of 24).
            long sectionTable = (long)UInt64(bytes, 0x28);
            int sectionSize = UInt16(bytes, 0x3A);
            int sectionCount = UInt16(bytes, 0x3C);
            for (int index = 0; index < sectionCount; index++)
            {
                long header = sectionTable + (long)index * sectionSize;
                if ((int)UInt32(bytes, header + 4) != sectionType)
                {
                    continue;
                }

                long symbols = (long)UInt64(bytes, header + 24);
                long symbolsSize = (long)UInt64(bytes, header + 32);
                long stringsHeader = sectionTable + (long)UInt32(bytes, header + 40) * sectionSize;
                long strings = (long)UInt64(bytes, stringsHeader + 24);
                for (long symbol = symbols; symbol + 24 <= symbols + symbolsSize; symbol += 24)
                {
                    int binding = bytes[symbol + 4] >> 4;
                    if (binding != 1 && binding != 2)
                    {
                        continue;
                    }

                    string name = CString(bytes, strings + UInt32(bytes, symbol));
                    if (name.Length == 0)
                    {
                        continue;
                    }

                    (UInt16(bytes, symbol + 6) == 0 ? undefined : defined).Add(name);
                }
            }
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

    // What the link does with each SystemNative_* import.
    public sealed class NativeLayerDecision
    {
        public const string Prefix = "SystemNative_";
        public const string WrapPrefix = "__wrap_";

        // The OpenSSL shim's functions are not the kernel's to serve, but an image that links them
        // loads libssl by path on first use, which a confined NativeAOT image must do at boot
        // instead (HostedConfinement.OpenSsl). The import list carries one line for them all.
        public const string OpenSslPrefix = "CryptoNative_";
        public const string OpenSslMarker = "CryptoNative";

        // planned: the SystemNative functions the kernel's plan served (UnikraftNativeImports), or
        // null when the plan served every function it can. An import outside a known plan is not
        // unserved but left out of the plan: the program is compiled again with the import list.
        public NativeLayerDecision(ISet<string> defined, ISet<string> undefined, IDictionary<string, string> helpers, ISet<string>? planned = null)
        {
            var imports = new List<string>();
            foreach (string name in undefined)
            {
                if (name.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    imports.Add(name);
                }
            }

            imports.Sort(StringComparer.Ordinal);
            foreach (string name in imports)
            {
                if (defined.Contains(WrapPrefix + name))
                {
                    Served.Add(name);
                }
                else if (helpers.ContainsKey(name))
                {
                    Helpers.Add(name);
                }
                else if (planned is not null && !planned.Contains(name))
                {
                    NotPlanned.Add(name);
                }
                else
                {
                    Unserved.Add(name);
                }
            }

            foreach (string name in imports)
            {
                if (!helpers.ContainsKey(name))
                {
                    Imports.Add(name);
                }
            }

            foreach (string name in defined)
            {
                if (name.StartsWith(WrapPrefix + Prefix, StringComparison.Ordinal) && !undefined.Contains(name.Substring(WrapPrefix.Length)))
                {
                    NotImported.Add(name.Substring(WrapPrefix.Length));
                }
            }

            bool openSsl = false;
            foreach (string name in undefined)
            {
                openSsl |= name.StartsWith(OpenSslPrefix, StringComparison.Ordinal);
            }

            LinksOpenSsl = openSsl;
            if (openSsl)
            {
                Imports.Insert(0, OpenSslMarker);
                if (planned is not null && !planned.Contains(OpenSslMarker))
                {
                    NotPlanned.Add(OpenSslMarker);
                }
            }
            else if (planned is not null && planned.Contains(OpenSslMarker))
            {
                NotImported.Add(OpenSslMarker);
            }

            NotImported.Sort(StringComparer.Ordinal);
        }

        // The image links the OpenSSL shim (CryptoNative_* imports): cryptography and TLS.
        public bool LinksOpenSsl { get; }

        // Whether the image links OpenSSL itself (microvm: the VM holds the one static program and
        // has no libssl.so.3 to load): the link imports the shim and nothing keeps OpenSSL's static
        // libraries from it. unavailable says what does (empty when nothing).
        public bool LinksOpenSslStatically(string platform, string unavailable) =>
            LinksOpenSsl && platform == "microvm" && unavailable.Length == 0;

        // UK0402's message when the image links the OpenSSL shim on microvm and OpenSSL cannot be
        // linked into it (unavailable says why), else null. A warning, not an error: the BCL links
        // the shim for what it only may do (an HttpClient that could be given an https:// address,
        // Kestrel's HTTPS), and http:// and plain sockets work without it.
        public string? OpenSslProblem(string platform, string unavailable) =>
            LinksOpenSsl && platform == "microvm" && unavailable.Length > 0
                ? "The program links OpenSSL's shim (CryptoNative_* imports), and OpenSSL cannot be linked into the microvm image: "
                    + unavailable + ". A microvm has no libssl.so.3 to load, so the first use of cryptography aborts the program "
                    + "('No usable version of libssl was found', then SIGABRT): TLS (https://, SslStream), certificates (X509Certificate2), "
                    + "hashing (SHA256, HMAC, and so the WebSocket handshake of ClientWebSocket and HttpListener), ciphers (Aes) and "
                    + "RandomNumberGenerator. http:// and plain sockets work (docs/diagnostics/UK0402.md)."
                : null;

        // Imported and served by the kernel: the link sends them to its entry points.
        public List<string> Served { get; } = new List<string>();

        // Imported and on the reviewed list: they stay the runtime's own.
        public List<string> Helpers { get; } = new List<string>();

        // Imported, not served and not reviewed: the publish fails.
        public List<string> Unserved { get; } = new List<string>();

        // Served by the kernel but imported by nothing in this image.
        public List<string> NotImported { get; } = new List<string>();

        // Imported, not served, and left out of a plan made from an earlier import list: the kernel
        // may serve them once the plan includes them.
        public List<string> NotPlanned { get; } = new List<string>();

        // Every SystemNative import that is not a reviewed helper, in order: what the plan needs to
        // know. (The helpers are the runtime's own; leaving them out keeps the list the same when
        // only they differ, as between the image of the full kernel, whose own code imports a few
        // more of them, and the image of the kernel planned from the list.)
        public List<string> Imports { get; } = new List<string>();

        // A plan made from this image's imports would differ: some import was left out of it, or the
        // kernel serves functions nothing imports (then they, and what only they need, can go).
        public bool Replan => NotPlanned.Count > 0 || NotImported.Count > 0;

        // UnikraftNativeImports, as the generator reads it: names separated by ',', "none" for no
        // import at all, empty (null here) when the link has not said.
        public static HashSet<string>? ParsePlanned(string value)
        {
            string trimmed = value.Trim();
            if (trimmed.Length == 0)
            {
                return null;
            }

            var planned = new HashSet<string>(StringComparer.Ordinal);
            if (trimmed == "none")
            {
                return planned;
            }

            foreach (string name in trimmed.Split(','))
            {
                if (name.Trim().Length > 0)
                {
                    planned.Add(name.Trim());
                }
            }

            return planned;
        }

        // NativeHelpers.txt: "name<TAB>reason" lines; '#' starts a comment.
        public static Dictionary<string, string> ReadHelpers(string text)
        {
            var helpers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                int tab = line.IndexOf('\t');
                helpers[tab < 0 ? line.Trim() : line.Substring(0, tab).Trim()] = tab < 0 ? "" : line.Substring(tab + 1).Trim();
            }

            return helpers;
        }

        // The report written beside the object file and shown by the manifest's reader.
        public string Report(IDictionary<string, string> helpers)
        {
            var text = new StringBuilder();
            text.Append("Native layer: ").Append(Served.Count).Append(" SystemNative functions served by the kernel, ")
                .Append(Helpers.Count).Append(" reviewed helpers left to the runtime, ").Append(Unserved.Count).Append(" not served\n");
            foreach (string name in Served)
            {
                text.Append("  served  ").Append(name).Append('\n');
            }

            foreach (string name in Helpers)
            {
                text.Append("  helper  ").Append(name).Append("  (").Append(helpers[name]).Append(")\n");
            }

            foreach (string name in Unserved)
            {
                text.Append("  NOT SERVED  ").Append(name).Append('\n');
            }

            foreach (string name in NotPlanned)
            {
                text.Append("  not in the plan  ").Append(name).Append("  (imported since the plan's import list was made: compiled again)\n");
            }

            if (NotImported.Count > 0)
            {
                text.Append("  in the kernel, imported by nothing in this image: ").Append(string.Join(", ", NotImported)).Append('\n');
            }

            return text.ToString();
        }
    }

#if !UNIKRAFT_NATIVE_LINK_ONLY
    public sealed class NativeLayerLinkTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string ObjectFile { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string HelpersFile { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string Report { get; set; } = "";

        // UnikraftNativeImports as the program was compiled with it: empty when the kernel's plan
        // served every SystemNative function it can.
        public string PlannedImports { get; set; } = "";

        // Whether this link may ask for the program to be compiled again with its import list
        // (the first NativeAOT compile of a publish; false for the compile made from the list).
        public bool MayReplan { get; set; }

        // UnikraftPlatform: on microvm an image that links OpenSSL's shim links OpenSSL statically,
        // or is UK0402 when it cannot.
        public string Platform { get; set; } = "";

        // What keeps OpenSSL's static libraries from a microvm image (no cmake, no libssl-dev,
        // StaticOpenSslLinking=false), empty when nothing does.
        public string OpenSslUnavailable { get; set; } = "";

        // True when the image must link OpenSSL statically (UnikraftMicroVmLinkOpenSsl does).
        [Microsoft.Build.Framework.Output]
        public bool LinkOpenSslStatically { get; set; }

        // Where the import list is written for the next compile: one name a line.
        public string ImportsFile { get; set; } = "";

        [Microsoft.Build.Framework.Output]
        public Microsoft.Build.Framework.ITaskItem[] LinkerArgs { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        // True when a plan made from this image's import list differs from the one it was built
        // with (ImportsFile then holds the list): the program is compiled again before the link.
        [Microsoft.Build.Framework.Output]
        public bool Replan { get; set; }

        public override bool Execute()
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            var undefined = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                ElfSymbols.Read(File.ReadAllBytes(ObjectFile), defined, undefined);
            }
            catch (Exception exception) when (exception is IOException || exception is InvalidDataException || exception is IndexOutOfRangeException)
            {
                Log.LogError("Unikraft native layer: cannot read the symbols of " + ObjectFile + ": " + exception.Message);
                return false;
            }

            Dictionary<string, string> helpers = NativeLayerDecision.ReadHelpers(File.ReadAllText(HelpersFile));
            var decision = new NativeLayerDecision(defined, undefined, helpers, NativeLayerDecision.ParsePlanned(PlannedImports));
            File.WriteAllText(Report, decision.Report(helpers));
            if (ImportsFile.Length > 0 && (MayReplan || decision.NotPlanned.Count == 0))
            {
                WriteWhenDifferent(ImportsFile, string.Join("\n", decision.Imports) + "\n");
            }

            if (MayReplan && decision.Replan && decision.Unserved.Count == 0)
            {
                Replan = true;
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    "Unikraft native layer: the program imports {0} SystemNative functions; compiling it again so that its kernel serves only those ({1} entry points imported by nothing{2})",
                    decision.Imports.Count, decision.NotImported.Count,
                    decision.NotPlanned.Count > 0 ? ", " + decision.NotPlanned.Count + " imports the plan left out" : "");
                return true;
            }

            // After the compile from the import list, an import still outside it is a fault of
            // the plan; before it, the unserved imports already fail the publish.
            foreach (string name in MayReplan ? new List<string>() : decision.NotPlanned)
            {
                Log.LogError(null, "UK0401", null, null, 0, 0, 0, 0,
                    "The program imports the native function {0}, which the kernel's plan left out although the program was compiled with the link's import list ({1}); see {2}.",
                    name, ImportsFile, Report);
            }

            foreach (string name in decision.Unserved)
            {
                Log.LogError(null, "UK0401", null, null, 0, 0, 0, 0,
                    "The program imports the native function {0}, which its kernel does not serve and which is not a reviewed helper " +
                    "({1}): it would reach the host. The API that calls it is not supported on the kernel yet; see {2}.",
                    name, HelpersFile, Report);
            }

            if (decision.OpenSslProblem(Platform, OpenSslUnavailable) is string problem)
            {
                Log.LogWarning(null, "UK0402", null, null, 0, 0, 0, 0, "{0}", problem);
            }

            LinkOpenSslStatically = decision.LinksOpenSslStatically(Platform, OpenSslUnavailable);

            var args = new List<Microsoft.Build.Framework.ITaskItem>();
            foreach (string name in decision.Served)
            {
                args.Add(new Microsoft.Build.Utilities.TaskItem("-Wl,--wrap=" + name));
            }

            LinkerArgs = args.ToArray();
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                "Unikraft native layer: {0} SystemNative functions served by the kernel, {1} reviewed helpers, {2} not served ({3})",
                decision.Served.Count, decision.Helpers.Count, decision.Unserved.Count, Report);
            return !Log.HasLoggedErrors;
        }

        private static void WriteWhenDifferent(string path, string text)
        {
            if (File.Exists(path) && File.ReadAllText(path) == text)
            {
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path));
            File.WriteAllText(path, text);
        }
    }
#endif
}
