namespace Unikraft.Kernel;

using System.Collections.Generic;

// The hosted boot's network devices, one call per <UnikraftNet> item. The boot opens them before
// the seccomp filter is installed: a TAP device needs the TUN control device's ioctl, passt a
// socketpair and a child process, and the filter refuses socket and process creation after boot.
internal static class HostedNetDevices
{
    // The processes the devices started (passt), which the confinement lets the kernel end and
    // reap, and no other.
    private static readonly List<int> children = new List<int>();

    public static int[] ChildProcesses()
    {
        lock (children)
        {
            return children.ToArray();
        }
    }

    // NOTE: UNIKRAFT_TAP_OFFLOAD=0 in the environment opens TAP devices without offloads (MTU
    // frames only, every checksum the kernel's), for experiments that need each frame on the
    // link to be one segment, such as dropping frames with nftables (bench/tcp.sh's BENCH_LOSS).
    public const string OffloadVariable = "UNIKRAFT_TAP_OFFLOAD";

    // A TAP interface named device on the host ("" lets the host kernel choose, tap0 and on).
    public static INetDevice OpenTap(string device)
    {
        return new TapNetDevice(new TapNetDeviceOptions
        {
            Name = device.Length > 0 ? device : null,
            Offloads = System.Environment.GetEnvironmentVariable(OffloadVariable) != "0",
        });
    }

    // passt, told the interface's own configuration so its DHCP and ARP answers agree with it,
    // forwarding the host's TCP ports in forward and UDP ports in forwardUdp to the same ports of
    // the program; with ipv6, over IPv6 too, and address6 (unless unspecified: the kernel's
    // autoconfigured one) is the IPv6 address passt hands out and expects.
    public static INetDevice OpenPasst(Ipv4Address address, int prefixLength, Ipv4Address gateway, int[] forward, int[] forwardUdp,
        bool ipv6, Ipv6Address address6)
    {
        PasstNetDeviceOptions options = new PasstNetDeviceOptions
        {
            Address = address,
            PrefixLength = prefixLength,
            Gateway = gateway.IsAny ? null : gateway,
            Ipv6 = ipv6,
            Address6 = address6.IsUnspecified ? null : address6,
        };
        for (int index = 0; index < forward.Length; index++)
        {
            options.TcpPorts.Add(forward[index]);
        }
        for (int index = 0; index < forwardUdp.Length; index++)
        {
            options.UdpPorts.Add(forwardUdp[index]);
        }
        var device = new PasstNetDevice(options);
        lock (children)
        {
            children.Add(device.ProcessId);
        }
        return device;
    }
}
