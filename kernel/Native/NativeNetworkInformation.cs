namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// System.Net.NetworkInformation's functions of System.Native (pal_interfaceaddresses.c,
// pal_networkchange.c), answered as a Linux without the netlink family answers them: the
// kernel's interfaces are its own and not listed through these yet. Kestrel and the socket layer
// name them (NetworkInterface, address change notifications), so a NativeAOT link imports them;
// the BCL turns each failure into its NetworkInformationException or its fallback.
internal static class NativeNetworkInformation
{
    // SystemNative_GetNetworkInterfaces: getifaddrs(3) asks netlink (EAFNOSUPPORT here): -1 with
    // errno, and NetworkInterface.GetAllNetworkInterfaces throws NetworkInformationException.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetNetworkInterfaces")]
    internal static int GetNetworkInterfaces(nint interfaceCount, nint interfaces, nint addressCount, nint addresses)
    {
        Marshal.SetLastSystemError(Errno.EAFNOSUPPORT);
        return -1;
    }

    // SystemNative_CreateNetworkChangeListenerSocket: a NETLINK_ROUTE socket; the PAL's
    // EAFNOSUPPORT (NetworkChange then throws NetworkInformationException).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CreateNetworkChangeListenerSocket")]
    internal static int CreateNetworkChangeListenerSocket(nint socket)
    {
        if (socket != 0)
        {
            Marshal.WriteIntPtr(socket, -1);
        }
        return NativePal.EAFNOSUPPORT;
    }

    // SystemNative_ReadEvents: reads the listener socket above, which never exists: EBADF.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReadEvents")]
    internal static int ReadEvents(nint socket, nint callback)
    {
        return NativePal.EBADF;
    }
}
