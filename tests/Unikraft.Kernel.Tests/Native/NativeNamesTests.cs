namespace Unikraft.Kernel.Tests;

using System;
using System.Runtime.InteropServices;
using System.Text;
using Unikraft.Kernel.Tests.Net.Dns;
using Unikraft.Kernel.Tests.Net.Interface;
using Xunit;

// The name-resolution functions as NameResolutionPal.Unix calls them: through their unmanaged
// entry points, with the PAL's HostEntry and IPAddress structs and its GetAddrInfoErrorFlags.
[Collection("native layer")]
public unsafe class NativeNamesTests
{
    // NOTE: Interop.HostEntry.cs and Interop.IPAddress.cs (System.Native).
    [StructLayout(LayoutKind.Sequential)]
    private struct PalHostEntry
    {
        public nint CanonicalName;
        public nint Aliases;
        public nint IPAddressList;
        public int IPAddressCount;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PalIPAddress
    {
        public fixed byte Address[16];
        public uint IsIPv6;
        public uint ScopeId;
    }

    private const int PalUnspecified = 0;
    private const int PalInet6 = 23;
    private const int EaiNoName = 5;
    private const int EaiFamily = 4;
    private const int EaiBadArgument = 6;
    private const int NameRequired = 0x1;
    private const int NumericHost = 0x2;

    private static readonly Ipv4Address Server = new Ipv4Address(127, 0, 0, 54);

    private static NetTestHost Attach(out TestNameServer server)
    {
        NetTestHost host = new NetTestHost(hostB: false);
        server = new TestNameServer(host, Server, (DnsMessage query, byte[] raw) => query.Questions[0].Name == "web.test"
            ? TestNameServer.Answer(query, DnsResponseCode.NoError, ("web.test", DnsType.Cname, 60, "www.test"), ("www.test", DnsType.A, 60, new byte[] { 198, 18, 0, 1 }))
            : TestNameServer.Answer(query, DnsResponseCode.NameError));
        host.Kernel.Resolver = new DnsResolver(host.Kernel, host.Udp, new[] { Server });
        NativeLayer.Attach(host.Kernel);
        return host;
    }

    private static int Lookup(string name, int family, PalHostEntry* entry)
    {
        byte[] text = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* address = text)
        {
            return ((delegate* unmanaged<nint, int, nint, int>)&NativeNames.GetHostEntryForName)((nint)address, family, (nint)entry);
        }
    }

    [Fact]
    public void GetHostEntryForName_FillsThePalsHostEntry_AndFreeHostEntryClearsIt()
    {
        Attach(out TestNameServer server);
        PalHostEntry entry = default;

        Assert.Equal(0, Lookup("web.test", PalUnspecified, &entry));

        Assert.Equal("www.test", Marshal.PtrToStringUTF8(entry.CanonicalName));
        Assert.Equal(0, entry.Aliases);
        Assert.Equal(1, entry.IPAddressCount);
        PalIPAddress* address = (PalIPAddress*)entry.IPAddressList;
        Assert.Equal(new byte[] { 198, 18, 0, 1 }, new ReadOnlySpan<byte>(address->Address, 4).ToArray());
        Assert.Equal(0u, address->IsIPv6);
        // Unspecified asks for A records only: the kernel has no IPv6.
        Assert.Equal(DnsType.A, Assert.Single(server.Queries).Question.Type);

        ((delegate* unmanaged<nint, void>)&NativeNames.FreeHostEntry)((nint)(&entry));
        Assert.Equal((0, 0, 0), (entry.CanonicalName, entry.IPAddressList, entry.IPAddressCount));
    }

    [Fact]
    public void GetHostEntryForName_AnswersGetAddrInfosErrors()
    {
        Attach(out _);
        PalHostEntry entry = default;

        Assert.Equal(EaiNoName, Lookup("nothere.test", PalUnspecified, &entry));
        Assert.Equal(EaiNoName, Lookup("bad..name", PalUnspecified, &entry));
        Assert.Equal(EaiNoName, Lookup("2001:db8::1", PalInet6, &entry));
        Assert.Equal(EaiFamily, Lookup("web.test", 1, &entry));
        Assert.Equal(EaiBadArgument, ((delegate* unmanaged<nint, int, nint, int>)&NativeNames.GetHostEntryForName)(0, PalUnspecified, (nint)(&entry)));
        // The entry is left alone on failure: the BCL reads it only after success.
        Assert.Equal(0, entry.IPAddressList);
    }

    [Fact]
    public void GetNameInfo_NumericOrByName_AndGetHostNameIsTheKernels()
    {
        Attach(out _);
        byte[] loopback = { 127, 0, 0, 1 };
        byte[] unknown = { 198, 18, 0, 99 };
        byte* host = stackalloc byte[1025];
        delegate* unmanaged<nint, uint, byte, nint, uint, nint, uint, int, int> nameInfo = &NativeNames.GetNameInfo;

        fixed (byte* address = loopback)
        {
            Assert.Equal(0, nameInfo((nint)address, 4, 0, (nint)host, 1025, 0, 0, NameRequired));
            Assert.Equal("localhost", Marshal.PtrToStringUTF8((nint)host));
            Assert.Equal(0, nameInfo((nint)address, 4, 0, (nint)host, 1025, 0, 0, NumericHost));
            Assert.Equal("127.0.0.1", Marshal.PtrToStringUTF8((nint)host));
        }
        fixed (byte* address = unknown)
        {
            // The PTR query gets NXDOMAIN: with NI_NAMEREQD that is the error.
            Assert.Equal(EaiNoName, nameInfo((nint)address, 4, 0, (nint)host, 1025, 0, 0, NameRequired));
        }

        byte* name = stackalloc byte[256];
        Assert.Equal(0, ((delegate* unmanaged<nint, int, int>)&NativeNames.GetHostName)((nint)name, 256));
        Assert.Equal(DnsResolver.DefaultHostName, Marshal.PtrToStringUTF8((nint)name));
        Assert.Equal(-1, ((delegate* unmanaged<nint, int, int>)&NativeNames.GetHostName)((nint)name, 4));
        Assert.Equal(Errno.ENAMETOOLONG, Marshal.GetLastSystemError());
        Assert.Equal(0, ((delegate* unmanaged<nint, int, int>)&NativeNames.GetDomainName)((nint)name, 256));
        Assert.Equal("(none)", Marshal.PtrToStringUTF8((nint)name));
    }

    [Fact]
    public void InterfaceNameToIndex_NumbersTheKernelsInterfacesAsLinuxDoes()
    {
        Attach(out _);
        delegate* unmanaged<nint, uint> toIndex = &NativeSockets.InterfaceNameToIndex;

        Assert.Equal(1u, Index(toIndex, "lo"));
        Assert.Equal(2u, Index(toIndex, "eth0"));
        Assert.Equal(0u, Index(toIndex, "wlan0"));
        Assert.Equal(Errno.ENODEV, Marshal.GetLastSystemError());
    }

    private static uint Index(delegate* unmanaged<nint, uint> toIndex, string name)
    {
        byte[] text = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* bytes = text)
        {
            return toIndex((nint)bytes);
        }
    }
}
