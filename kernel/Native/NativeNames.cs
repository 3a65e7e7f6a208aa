namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;
using System.Text;

// The name-resolution functions of System.Native (pal_networking.c), served by the kernel's DNS
// stub resolver (kernel/Net/Dns), so Dns.GetHostAddresses, Dns.GetHostEntry, their async forms
// (on Linux the BCL runs them on the thread pool: NameResolutionPal.SupportsGetAddrInfoAsync is
// false, and runtime 10.0's System.Native has no getaddrinfo_a entry point) and what
// TcpClient.Connect(host, port) does underneath reach the kernel's resolver and its UDP instead of
// the host's getaddrinfo. They return the PAL's GetAddrInfoErrorFlags (or, for the host and
// domain name, 0 or -1 with errno), as pal_networking.c does.
internal static class NativeNames
{
    // NOTE: the PAL's GetAddrInfoErrorFlags (pal_networking.h; Interop.HostEntry.cs).
    private const int EaiSuccess = 0;
    private const int EaiAgain = 1;
    private const int EaiFail = 3;
    private const int EaiFamily = 4;
    private const int EaiNoName = 5;
    private const int EaiBadArgument = 6;

    // NOTE: the PAL's GetNameInfoFlags (Interop.GetNameInfo.cs).
    private const int NameRequired = 0x1;
    private const int NumericHost = 0x2;

    // NOTE: the PAL's address families for a lookup: AF_UNSPEC, AF_INET, AF_INET6 (pal_networking.h).
    private const int PalUnspecified = 0;
    private const int PalInet = 2;
    private const int PalInet6 = 23;

    // NOTE: HostEntry of pal_networking.h on 64-bit: CanonicalName, Aliases, IPAddressList
    // (pointers), then IPAddressCount (int32); IPAddress is 16 address octets, IsIPv6 and ScopeId
    // (uint32 each): 24 octets.
    private const int EntryCanonicalNameOffset = 0;
    private const int EntryAliasesOffset = 8;
    private const int EntryAddressListOffset = 16;
    private const int EntryAddressCountOffset = 24;
    private const int AddressSize = 24;
    private const int AddressIsIpv6Offset = 16;

    // getaddrinfo(name, AI_CANONNAME) for the family asked. On success the entry holds the
    // canonical name and the addresses, in memory FreeHostEntry gives back; on failure the entry
    // is left as it was (the BCL reads it only after success).
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetHostEntryForName")]
    internal static int GetHostEntryForName(nint address, int addressFamily, nint entry)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetHostEntryForName");
        NativeLayer? layer = call.Layer;
        if (address == 0 || entry == 0)
        {
            return EaiBadArgument;
        }
        if (addressFamily != PalUnspecified && addressFamily != PalInet && addressFamily != PalInet6)
        {
            return EaiFamily;
        }
        if (layer == null)
        {
            return EaiFail;
        }
        string name = NativeLayer.Text(address);
        // An unspecified family asks for AAAA records too only when the kernel has IPv6 beyond
        // link-local (DnsResolver.LookupAny), as getaddrinfo with AI_ADDRCONFIG does; asked for
        // IPv6 alone, the resolver asks for AAAA records whatever the kernel has.
        var addresses = new System.Collections.Generic.List<byte[]>();
        DnsResolver resolver = DnsResolver.For(layer.Kernel);
        string canonicalName;
        int status = addressFamily == PalUnspecified
            ? resolver.LookupAny(name, addresses, out canonicalName)
            : resolver.Lookup(name, addressFamily == PalInet, addressFamily == PalInet6, addresses, out canonicalName);
        if (status != DnsStatus.Found)
        {
            return Error(status);
        }
        nint list = addresses.Count == 0 ? 0 : Marshal.AllocHGlobal(addresses.Count * AddressSize);
        for (int index = 0; index < addresses.Count; index++)
        {
            byte[] bytes = addresses[index];
            Span<byte> slot = NativeLayer.Bytes(list + index * AddressSize, AddressSize);
            slot.Clear();
            bytes.CopyTo(slot);
            Marshal.WriteInt32(list + index * AddressSize, AddressIsIpv6Offset, bytes.Length == 16 ? 1 : 0);
        }
        Marshal.WriteIntPtr(entry, EntryCanonicalNameOffset, CopyText(canonicalName));
        Marshal.WriteIntPtr(entry, EntryAliasesOffset, 0);
        Marshal.WriteIntPtr(entry, EntryAddressListOffset, list);
        Marshal.WriteInt32(entry, EntryAddressCountOffset, addresses.Count);
        return EaiSuccess;
    }

    // Gives back what GetHostEntryForName allocated, and clears the entry as the PAL does.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FreeHostEntry")]
    internal static void FreeHostEntry(nint entry)
    {
        if (entry == 0)
        {
            return;
        }
        nint name = Marshal.ReadIntPtr(entry, EntryCanonicalNameOffset);
        nint list = Marshal.ReadIntPtr(entry, EntryAddressListOffset);
        if (name != 0)
        {
            Marshal.FreeHGlobal(name);
        }
        if (list != 0)
        {
            Marshal.FreeHGlobal(list);
        }
        Marshal.WriteIntPtr(entry, EntryCanonicalNameOffset, 0);
        Marshal.WriteIntPtr(entry, EntryAddressListOffset, 0);
        Marshal.WriteInt32(entry, EntryAddressCountOffset, 0);
    }

    // getnameinfo for an address (no port: the service, if asked for, is "0"): the numeric form
    // with NI_NUMERICHOST, else the resolver's reverse lookup; with NI_NAMEREQD a name that cannot
    // be found is EAI_NONAME, without it the numeric form stands in (getnameinfo(3)).
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetNameInfo")]
    internal static int GetNameInfo(nint address, uint addressLength, byte isIPv6, nint host, uint hostLength, nint service, uint serviceLength, int flags)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetNameInfo");
        NativeLayer? layer = call.Layer;
        if (address == 0 || addressLength != (isIPv6 != 0 ? 16u : 4u) || (host == 0 && service == 0))
        {
            return EaiBadArgument;
        }
        if (layer == null)
        {
            return EaiFail;
        }
        if (service != 0 && !TryWriteText("0", service, serviceLength))
        {
            return EaiFail;
        }
        if (host == 0)
        {
            return EaiSuccess;
        }
        ReadOnlySpan<byte> octets = NativeLayer.Bytes(address, (int)addressLength);
        string numeric = isIPv6 != 0 ? new System.Net.IPAddress(octets).ToString() : Ipv4Address.Read(octets).ToString();
        string name = numeric;
        if ((flags & NumericHost) == 0)
        {
            int status = isIPv6 != 0 ? DnsStatus.NoName : DnsResolver.For(layer.Kernel).ReverseLookup(Ipv4Address.Read(octets), out name);
            if (status != DnsStatus.Found)
            {
                if ((flags & NameRequired) != 0)
                {
                    return Error(status);
                }
                name = numeric;
            }
        }
        return TryWriteText(name, host, hostLength) ? EaiSuccess : EaiFail;
    }

    // gethostname(2): the kernel's own name (DnsResolver.HostName). 0, or -1 with errno
    // ENAMETOOLONG when it does not fit with its NUL.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetHostName")]
    internal static int GetHostName(nint name, int nameLength)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetHostName");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return -1;
        }
        return CopyOut(DnsResolver.For(layer.Kernel).HostName, name, nameLength);
    }

    // getdomainname(2): as on a Linux host where none was set.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetDomainName")]
    internal static int GetDomainName(nint name, int nameLength)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetDomainName");
        return call.Layer == null ? -1 : CopyOut(DnsResolver.DomainName, name, nameLength);
    }

    // A DnsStatus as getaddrinfo's error.
    private static int Error(int status)
    {
        switch (status)
        {
            case DnsStatus.NoName: return EaiNoName;
            case DnsStatus.TryAgain: return EaiAgain;
            default: return EaiFail;
        }
    }

    private static int CopyOut(string text, nint destination, int length)
    {
        if (destination == 0 || length <= 0)
        {
            Marshal.SetLastSystemError(Errno.EINVAL);
            return -1;
        }
        if (!TryWriteText(text, destination, (uint)length))
        {
            Marshal.SetLastSystemError(Errno.ENAMETOOLONG);
            return -1;
        }
        return 0;
    }

    // text and its NUL into the caller's buffer; false when they do not fit.
    private static bool TryWriteText(string text, nint destination, uint length)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        if (count + 1 > length)
        {
            return false;
        }
        Span<byte> bytes = NativeLayer.Bytes(destination, count + 1);
        Encoding.UTF8.GetBytes(text, bytes);
        bytes[count] = 0;
        return true;
    }

    // A NUL-terminated copy in unmanaged memory that FreeHostEntry gives back.
    private static nint CopyText(string text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        nint copy = Marshal.AllocHGlobal(count + 1);
        Span<byte> bytes = NativeLayer.Bytes(copy, count + 1);
        Encoding.UTF8.GetBytes(text, bytes);
        bytes[count] = 0;
        return copy;
    }
}
