using System;
using System.Collections.Generic;

namespace Unikraft.Gen.Kernel
{
    // The kernel members the generated boot calls, as symbols of the kernel graph. Their names are
    // written here once: the reachability roots them by these symbols and the boot writer calls
    // them. The image resolves them when it loads; a kernel that lacks one is a broken image.
    internal sealed class BootMembers
    {
        private const string KernelConstructorId = "M:Unikraft.Kernel.Kernel.#ctor(Unikraft.Kernel.IPlatform)";
        private const string KernelRunId = "M:Unikraft.Kernel.Kernel.Run(System.String[],System.Func{System.String[],System.Int32})";
        private const string KernelRunAsyncId = "M:Unikraft.Kernel.Kernel.RunAsync(System.String[],System.Func{System.String[],System.Threading.Tasks.Task{System.Int32}})";
        private const string PrintBannerId = "M:Unikraft.Kernel.Kernel.PrintBanner(System.String)";
        private const string ReportUnhandledId = "M:Unikraft.Kernel.Kernel.ReportUnhandled(System.Exception)";
        private const string ConfinementInstallId = "M:Unikraft.Kernel.HostedConfinement.Install(Unikraft.Kernel.Kernel,System.Int32,System.Int32[],System.String[],System.String[],System.String[])";
        private const string ConfinementSupervisorStartId = "M:Unikraft.Kernel.ConfinementSupervisor.Start";
        private const string HostedPlatformConstructorId = "M:Unikraft.Kernel.HostedPlatform.#ctor";
        private const string MicroVmPlatformConstructorId = "M:Unikraft.Kernel.MicroVmPlatform.#ctor";
        private const string SimProgramRunId = "M:Unikraft.Kernel.SimProgram.Run(System.String,System.String[],System.Func{System.String[],System.Threading.Tasks.Task{System.Int32}},System.Action{Unikraft.Kernel.Kernel},System.String)";
        private const string VfsMountId = "M:Unikraft.Kernel.VfsMounts.Mount(Unikraft.Kernel.Kernel,System.String,Unikraft.Kernel.IFileSystem,System.Boolean)";
        private const string RamFsConstructorId = "M:Unikraft.Kernel.RamFileSystem.#ctor(System.Int64)";
        private const string HostFsConstructorId = "M:Unikraft.Kernel.HostFileSystem.#ctor(System.String,System.Boolean)";
        private const string InitrdFromResourceId = "M:Unikraft.Kernel.InitrdLoader.FromResource(System.Reflection.Assembly,System.String,System.Int64)";
        private const string DevFsConstructorId = "M:Unikraft.Kernel.DevFileSystem.#ctor(Unikraft.Kernel.Kernel)";
        private const string TrustStoreMountId = "M:Unikraft.Kernel.HostedTrustStore.Mount(Unikraft.Kernel.Kernel)";
        private const string NetBootAttachId = "M:Unikraft.Kernel.NetBoot.Attach(Unikraft.Kernel.Kernel,System.String,Unikraft.Kernel.INetDevice,Unikraft.Kernel.Ipv4Address,System.Int32,Unikraft.Kernel.Ipv4Address,Unikraft.Kernel.Ipv4Address[])";
        private const string Ipv4AddressConstructorId = "M:Unikraft.Kernel.Ipv4Address.#ctor(System.UInt32)";
        private const string NetBootAttachIpv6Id = "M:Unikraft.Kernel.NetBoot.AttachIpv6(Unikraft.Kernel.Kernel,System.String,Unikraft.Kernel.Ipv6Address[],System.Int32[],Unikraft.Kernel.Ipv6Address,System.Boolean)";
        private const string NetBootSolicitRoutersId = "M:Unikraft.Kernel.NetBoot.SolicitRouters(Unikraft.Kernel.Kernel,System.String,System.Boolean,System.Int64)";
        private const string NetBootForwardHostLoopbackId = "M:Unikraft.Kernel.NetBoot.ForwardHostLoopback(Unikraft.Kernel.Kernel,System.String,System.String,System.Int32[])";
        private const string Ipv6AddressConstructorId = "M:Unikraft.Kernel.Ipv6Address.#ctor(System.UInt64,System.UInt64)";
        private const string HostedOpenTapId = "M:Unikraft.Kernel.HostedNetDevices.OpenTap(System.String)";
        private const string HostedOpenPasstId = "M:Unikraft.Kernel.HostedNetDevices.OpenPasst(Unikraft.Kernel.Ipv4Address,System.Int32,Unikraft.Kernel.Ipv4Address,System.Int32[],System.Int32[],System.Boolean,Unikraft.Kernel.Ipv6Address)";
        private const string MicroVmOpenVirtioId = "M:Unikraft.Kernel.MicroVmNetDevices.OpenVirtio(System.Int32)";
        private const string HostedChildProcessesId = "M:Unikraft.Kernel.HostedNetDevices.ChildProcesses";
        private const string VcpuServeId = "M:Unikraft.Kernel.Vcpu.Serve(Unikraft.Kernel.Kernel)";
        private const string VcpuEnterCallId = "M:Unikraft.Kernel.Vcpu.EnterCall";
        private const string VcpuLeaveCallId = "M:Unikraft.Kernel.Vcpu.LeaveCall(Unikraft.Kernel.Kernel)";

        // The mount type of the host's trust store, which the plan adds for a program that validates
        // TLS certificates (never a <UnikraftMount> item's type): HostedTrustStore.Mount mounts it.
        public const string TrustStoreType = "truststore";

        private readonly Dictionary<string, int> _fileSystems = new Dictionary<string, int>(StringComparer.Ordinal);

        private readonly Dictionary<string, int> _netDevices = new Dictionary<string, int>(StringComparer.Ordinal);

        public BootMembers(IReadOnlyDictionary<string, int> symbolByDocId)
        {
            var missing = new List<string>();
            int Find(string docId)
            {
                if (symbolByDocId.TryGetValue(docId, out int id))
                {
                    return id;
                }

                missing.Add(docId);
                return -1;
            }

            KernelConstructor = Find(KernelConstructorId);
            KernelRun = Find(KernelRunId);
            KernelRunAsync = Find(KernelRunAsyncId);
            PrintBanner = Find(PrintBannerId);
            ReportUnhandled = Find(ReportUnhandledId);
            ConfinementInstall = Find(ConfinementInstallId);
            ConfinementSupervisorStart = Find(ConfinementSupervisorStartId);
            HostedChildProcesses = Find(HostedChildProcessesId);
            HostedPlatformConstructor = Find(HostedPlatformConstructorId);
            MicroVmPlatformConstructor = Find(MicroVmPlatformConstructorId);
            SimProgramRun = Find(SimProgramRunId);
            VfsMount = Find(VfsMountId);
            RamFsConstructor = Find(RamFsConstructorId);
            _fileSystems.Add("ramfs", RamFsConstructor);
            _fileSystems.Add("hostfs", Find(HostFsConstructorId));
            _fileSystems.Add("initrd", Find(InitrdFromResourceId));
            _fileSystems.Add("devfs", Find(DevFsConstructorId));
            _fileSystems.Add(TrustStoreType, Find(TrustStoreMountId));
            NetBootAttach = Find(NetBootAttachId);
            Ipv4AddressConstructor = Find(Ipv4AddressConstructorId);
            NetBootAttachIpv6 = Find(NetBootAttachIpv6Id);
            Ipv6AddressConstructor = Find(Ipv6AddressConstructorId);
            NetBootForwardHostLoopback = Find(NetBootForwardHostLoopbackId);
            NetBootSolicitRouters = Find(NetBootSolicitRoutersId);
            _netDevices.Add("tap", Find(HostedOpenTapId));
            _netDevices.Add("passt", Find(HostedOpenPasstId));
            _netDevices.Add("virtio", Find(MicroVmOpenVirtioId));
            VcpuServe = Find(VcpuServeId);
            VcpuEnterCall = Find(VcpuEnterCallId);
            VcpuLeaveCall = Find(VcpuLeaveCallId);
            Missing = missing;
        }

        // What the kernel sources lack of these (empty in a sound image).
        public IReadOnlyList<string> Missing { get; }

        public int KernelConstructor { get; }

        public int KernelRun { get; }

        public int KernelRunAsync { get; }

        public int PrintBanner { get; }

        public int ReportUnhandled { get; }

        public int ConfinementInstall { get; }

        public int ConfinementSupervisorStart { get; }

        // The processes the devices started (passt's), handed to the confinement.
        public int HostedChildProcesses { get; }

        public int HostedPlatformConstructor { get; }

        public int MicroVmPlatformConstructor { get; }

        public int SimProgramRun { get; }

        public int VfsMount { get; }

        public int RamFsConstructor { get; }

        // The boot serves the kernel to the process's other threads; each interceptor takes the
        // vCPU around its call (Emit.ServesOtherThreads).
        public int VcpuServe { get; }

        public int VcpuEnterCall { get; }

        public int VcpuLeaveCall { get; }

        // Attaches one <UnikraftNet> interface (its device opened by NetDevice(type)).
        public int NetBootAttach { get; }

        public int Ipv4AddressConstructor { get; }

        // Gives an attached interface its IPv6 addresses (an item with Address6).
        public int NetBootAttachIpv6 { get; }

        public int Ipv6AddressConstructor { get; }

        // Takes a passt item's IPv6 router (and with Address6="auto" its address) from router advertisements.
        public int NetBootSolicitRouters { get; }

        // Lets a passt item's TCP ports forwarded from the host's loopback reach listeners on loopback.
        public int NetBootForwardHostLoopback { get; }

        // The member that opens the network device of an interface type for the boot, or -1.
        public int NetDevice(string type) => _netDevices.TryGetValue(type, out int symbol) ? symbol : -1;

        // The member that makes a file system of a mount type for the boot to mount, or -1.
        public int FileSystem(string type) => _fileSystems.TryGetValue(type, out int symbol) ? symbol : -1;
    }
}
