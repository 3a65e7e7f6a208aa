// Pipeline models. They must stay immutable and equatable: no ISymbol, SyntaxNode, Location or
// Compilation in any of them, so an edit that changes nothing they hold re-runs nothing after them.
using Unikraft.Gen.Helpers;

namespace Unikraft.Gen.Model
{
    // One call site in the program that needs the kernel: a plain BCL call the generator intercepts,
    // or a direct use of the kernel API.
    internal sealed record ApiUse(
        // The kernel API member that serves it, as a documentation comment id.
        string KernelMember,
        // How the program wrote it, for the manifest: "Console.WriteLine(string?)".
        string Display,
        // The file (relative to the project) and line, for the manifest.
        string File,
        int Line,
        // Set when the call is redirected by an interceptor.
        Interception? Interception,
        // The constant path arguments of a file-system call ('' marks one not known at compile time).
        EquatableArray<string> Paths);

    // What an interceptor needs: where the call is, and the signature it must have.
    internal sealed record Interception(
        int Version,
        string Data,
        string Name,
        string TypeParameters,
        string ReturnType,
        EquatableArray<InterceptedParameter> Parameters,
        string Target,
        // Flow-analysis attributes the interceptor must repeat ([DoesNotReturn], ...).
        string Attributes,
        // The BCL method, for a library's interceptor to call when no kernel wired it:
        // "global::System.IO.File.ReadAllText", or ".Next" for an instance method.
        string Bcl);

    internal sealed record InterceptedParameter(string Modifier, string Type, string Name, string Attributes);

    // The program's entry point: top-level statements or a static Main.
    internal sealed record EntryPoint(
        // The type that declares it, fully qualified: "global::Program".
        string TypeName,
        // The same as Type.GetType reads it, for an UnsafeAccessor when Main is not accessible:
        // "Demo.Program", "A.Outer+Inner".
        string MetadataTypeName,
        // "<Main>$" for top-level statements.
        string MethodName,
        bool IsAsync,
        bool ReturnsInt,
        bool HasArgs,
        // Whether generated code can call it directly; otherwise an UnsafeAccessor reaches it.
        bool IsAccessible,
        // Declared in a struct: an UnsafeAccessor names a value type only as a parameter's type,
        // so the struct must be one generated code can name (TypeIsNameable).
        bool InStruct,
        bool TypeIsNameable,
        string File,
        int Line,
        LocationInfo Location);

    // A call in a referenced library built with this generator, as the library recorded it in its
    // assembly metadata ([assembly: Unikraft.Generated.KernelNeeds(...)]).
    internal sealed record LibraryNeed(
        // The library's assembly name.
        string Library,
        string KernelMember,
        string Display,
        // The file in the library's project, and the line.
        string File,
        int Line,
        EquatableArray<string> Paths,
        // The library's bridge field the program's boot sets ("" when the call is not bridged), its
        // type, and the kernel API method it is set to call, with how many arguments.
        string BridgeField,
        string BridgeType,
        string Target,
        int Arity);

    // The MSBuild configuration the generator reads.
    internal sealed record KernelConfig(
        string Platform,
        bool Banner,
        bool IsExecutable,
        string AssemblyName,
        string ProjectDirectory,
        // The <UnikraftMount> items, as MSBuild passes them (MountTable.Parse reads them).
        string Mounts,
        // The kernel serves the BCL's native layer (UnikraftNativeLayer, on in a NativeAOT publish
        // on hosted): every I/O call of the program and its libraries reaches it through the link.
        bool NativeLayer,
        // The hosted boot installs the seccomp filter of HostedConfinement (UnikraftConfinement,
        // on unless set to false).
        bool Confinement,
        // UnikraftSpecialize=false: the whole kernel (every syscall, every feature), for measuring
        // what specialization saves.
        bool Specialize = true,
        // The SystemNative functions the program's NativeAOT link imports, as the link of an
        // earlier compile of it reported them (UnikraftNativeImports, names separated by ','; the
        // single word "none" when it imports none). Empty while the link has not said: then the
        // native layer serves every function it can.
        string NativeImports = "",
        // The program runs with the JIT route's jump slots (UnikraftNativeSlots): the kernel's boot
        // points them at its entry points (NativeSlots, behind KernelFeatures.NativeSlots). Off in
        // a NativeAOT image, where the link does it and the slot table would keep every entry point.
        bool NativeSlots = false,
        // The <UnikraftNet> items, as MSBuild passes them (NetTable.Parse reads them).
        string Nets = "",
        // The network stack answers ICMP echo requests (UnikraftIcmpEcho, on unless set to false).
        bool IcmpEcho = true);

    // A reason a root is in the kernel: a call site, or the kernel's own need.
    internal sealed record Reason(string Text, string File, int Line);

    // One root of the kernel: a syscall the program needs, with every call site that needs it.
    internal sealed record SyscallRoot(int Number, EquatableArray<Reason> Reasons);

    // A kernel feature the program needs (code guarded by 'if (KernelFeatures.X)'), with its call sites.
    internal sealed record FeatureRoot(string Name, EquatableArray<Reason> Reasons);

    // A mount, and whether any call site needs it (an unused mount is left out of the kernel).
    internal sealed record MountPlan(
        string Path,
        string Type,
        // The host folder, absolute (hostfs), or the embedded archive's resource name (initrd).
        string Source,
        bool ReadOnly,
        long CapacityBytes,
        bool Implicit,
        EquatableArray<Reason> Reasons);

    // A network interface the boot attaches: its device, its IPv4 configuration, and what the
    // platform does for it (the host ports passt forwards, the TAP device's name), and its IPv6
    // addresses with their prefix lengths ("2001:2::2/64"; none: IPv4 only).
    internal sealed record NetPlan(
        string Name,
        string Type,
        string Address,
        int PrefixLength,
        string Gateway,
        EquatableArray<string> Dns,
        EquatableArray<int> Forward,
        string Device,
        EquatableArray<string> Addresses6 = default,
        EquatableArray<int> ForwardUdp = default,
        string Gateway6 = "",
        string Origin = "")
    {
        // What the manifest says made the interface: the project file's item, or the launch
        // profile's URLs (the build's UnikraftLaunchNet target).
        public string Source => Origin == "launch"
            ? "(UnikraftNet '" + Name + "' made by the build from the launch profile's URLs, UnikraftLaunchNet)"
            : "(UnikraftNet '" + Name + "' in the project file)";

        // Whether connections the host opens to its own loopback on the forwarded TCP ports reach
        // a listener on the kernel's loopback: passt shows them as coming from the gateway, and
        // so does a microvm card's QEMU user network (its runner forwards the host's 127.0.0.1).
        public bool ForwardsHostLoopback => (Type == "passt" || Type == "virtio") && Forward.Count > 0;
    }

    // A problem that stops the generator emitting the kernel.
    internal sealed record PlanError(string Id, string Message, LocationInfo? Location);

    // The plan: one equatable value with the roots and everything the emitter needs.
    internal sealed record KernelPlan(
        KernelConfig Config,
        EntryPoint? Entry,
        EquatableArray<SyscallRoot> Syscalls,
        EquatableArray<ApiUse> Uses,
        // What referenced libraries built with this generator need; their uses are in Uses too.
        EquatableArray<LibraryNeed> Libraries,
        EquatableArray<FeatureRoot> Features,
        EquatableArray<MountPlan> Mounts,
        EquatableArray<PlanError> Errors,
        // The app-facing API types the program's source names ("KernelConsole"): emitted whole, so
        // the program binds to any of their members while it is typed.
        EquatableArray<string> ApiTypesNamed,
        // The runtime's feature switches for a NativeAOT publish (Runtime says how they are decided).
        RuntimeFeatures? Runtime = null,
        // The network interfaces, in the order the items declare them.
        EquatableArray<NetPlan> Nets = default);

    // What the runtime-feature decision reads from MSBuild: whether this is a NativeAOT publish,
    // whether specialization is on (UnikraftSpecialize), and the feature switches the project sets
    // itself ("InvariantGlobalization=false"), which always win.
    internal sealed record RuntimeConfig(bool PublishAot, bool Specialize, string ProjectDirectory, EquatableArray<string> ProjectSettings);

    // How one runtime feature was decided.
    internal enum RuntimeChoice
    {
        // Switched off: nothing in the program uses it.
        Off,
        // Kept: the reasons name what uses it.
        Kept,
        // The project sets the switch itself; its value stands.
        SetInProject,
        // UnikraftSpecialize=false: the runtime is left as .NET's NativeAOT defaults have it.
        NotSpecialized,
    }

    // One runtime feature (Runtime.Switches names it), with the program's uses of it.
    internal sealed record RuntimeFeature(string Name, RuntimeChoice Choice, string ProjectValue, EquatableArray<Reason> Reasons);

    // The runtime features of a NativeAOT publish; none outside one.
    internal sealed record RuntimeFeatures(bool PublishAot, EquatableArray<RuntimeFeature> Features)
    {
        public static readonly RuntimeFeatures NotPublishingAot = new RuntimeFeatures(false, EquatableArray<RuntimeFeature>.Empty);
    }

    // A runtime feature switch: the feature's name in the manifest, the MSBuild property and the
    // AppContext switch that control it, the value that turns it off, and what turning it off removes.
    internal sealed record RuntimeSwitch(string Name, string Property, string AppContextSwitch, string OffValue, string Removes);

    // A network type the program names (Library null: File and Line are where), or one a referenced
    // library's code refers to (File and Line empty): what says which transports its sockets need.
    internal sealed record NetTypeUse(string Type, string? Library, string File, int Line);

    // Every call site and entry point the scan found, in tree order.
    internal sealed record ProgramScan(EquatableArray<ApiUse> Uses, EquatableArray<EntryPoint> Entries, EquatableArray<string> ApiTypesNamed);
}
