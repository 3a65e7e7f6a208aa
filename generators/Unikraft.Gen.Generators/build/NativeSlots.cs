// Runs in MSBuild when a program takes the native layer's JIT route (dotnet run of a program whose
// kernel serves the BCL's native layer: UnikraftNativeLayer, Unikraft.Gen.targets). It makes the
// library that takes the place of the runtime's app-local libSystem.Native.so: for every
// SystemNative_* function the runtime's library exports (its dynamic symbols, so the set follows
// the runtime version), an exported function of the same name that jumps through a slot.
// The slots start at the runtime's own functions, in a renamed copy beside the library; the
// kernel's boot points the slots of the functions it serves at its entry points and seals the
// others that are not reviewed helpers (NativeHelpers.txt), which then stop the program with a line
// that names the function. NativeSlotsElf.cs writes both libraries' bytes (no C compiler);
// docs/architecture.md, "The native layer", says why and what it costs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Unikraft.Gen.Build
{
    public static class NativeSlotsSource
    {
        // The name the slot library loads the runtime's own library by, from its own folder.
        public const string HostLibraryName = "libSystem.Native.host.so";

        // The exported SystemNative_* functions of a shared library (ELF64, little-endian), sorted.
        public static List<string> Exports(byte[] library)
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            var undefined = new HashSet<string>(StringComparer.Ordinal);
            ElfSymbols.Read(library, defined, undefined, ElfSymbols.SectionTypeDynamicSymbols);
            var exports = new List<string>();
            foreach (string name in defined)
            {
                if (name.StartsWith(NativeLayerDecision.Prefix, StringComparison.Ordinal))
                {
                    exports.Add(name);
                }
            }

            exports.Sort(StringComparer.Ordinal);
            return exports;
        }
    }

#if !UNIKRAFT_NATIVE_LINK_ONLY
    // Writes the slot library and the renamed copy of the runtime's libSystem.Native.so beside it.
    public sealed class NativeSlotsLibraryTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string HostLibrary { get; set; } = "";

        [Microsoft.Build.Framework.Required]
        public string HelpersFile { get; set; } = "";

        // The slot library (libSystem.Native.so).
        [Microsoft.Build.Framework.Required]
        public string Output { get; set; } = "";

        // The runtime's library, renamed (libSystem.Native.host.so, in the same folder).
        [Microsoft.Build.Framework.Required]
        public string HostOutput { get; set; } = "";

        public override bool Execute()
        {
            byte[] host;
            List<string> exports;
            byte[] renamed;
            try
            {
                host = File.ReadAllBytes(HostLibrary);
                exports = NativeSlotsSource.Exports(host);
                renamed = exports.Count == 0 ? host : NativeSlotsElf.RenameHostExports(host);
            }
            catch (Exception exception) when (exception is IOException || exception is InvalidDataException || exception is IndexOutOfRangeException || exception is ArgumentException)
            {
                Log.LogError("Unikraft native layer: cannot read or rename the exports of " + HostLibrary + ": " + exception.Message);
                return false;
            }

            if (exports.Count == 0)
            {
                Log.LogError("Unikraft native layer: " + HostLibrary + " exports no SystemNative_* function; it is not the runtime's native shim");
                return false;
            }

            Dictionary<string, string> helpers = NativeLayerDecision.ReadHelpers(File.ReadAllText(HelpersFile));
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(Output)) ?? ".");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(HostOutput)) ?? ".");
            File.WriteAllBytes(Output, NativeSlotsElf.Write(exports, helpers.Keys));
            File.WriteAllBytes(HostOutput, renamed);
            return true;
        }
    }
#endif
}
