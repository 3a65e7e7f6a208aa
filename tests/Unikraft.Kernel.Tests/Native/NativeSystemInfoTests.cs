namespace Unikraft.Kernel.Tests;

using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

// uname(2) and the System.Native functions that Environment.OSVersion and
// RuntimeInformation.OSDescription call: the kernel's own names, never the host's.
[Collection("native layer")]
public unsafe class NativeSystemInfoTests
{
    [Fact]
    public void Uname_FillsANewUtsname_WithTheKernelsNames()
    {
        Kernel kernel = TestKernel.Boot(out _);
        byte[] utsname = new byte[KernelIdentity.Length];
        utsname.AsSpan().Fill(0xFF);

        Assert.Equal(0, Sys.Uname(kernel, utsname));

        Assert.Equal("Linux", Field(utsname, 0));
        Assert.Equal("unikraft", Field(utsname, 1));
        Assert.Equal("0.1.0-unikraft-gen", Field(utsname, 2));
        Assert.Equal("#1 Unikraft.Gen", Field(utsname, 3));
        Assert.Equal("x86_64", Field(utsname, 4));
        Assert.Equal("(none)", Field(utsname, 5));
        // Every field is NUL-padded to its end, as Linux copies the whole struct.
        Assert.Equal(0, utsname[KernelIdentity.FieldLength * 3 - 1]);
    }

    [Fact]
    public void Uname_IntoABufferShorterThanAUtsname_IsEfault()
    {
        Kernel kernel = TestKernel.Boot(out _);
        Assert.Equal(-Errno.EFAULT, Sys.Uname(kernel, new byte[KernelIdentity.Length - 1]));
    }

    [Fact]
    public void GetUnixRelease_IsTheKernelsRelease_InMemoryTheCallerFrees()
    {
        Kernel kernel = TestKernel.Boot(out _);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint> getUnixRelease = &NativeSystemInfo.GetUnixRelease;

        nint release = getUnixRelease();
        Assert.NotEqual(0, release);
        Assert.Equal(KernelIdentity.Release, Marshal.PtrToStringUTF8(release));
        // The BCL's UTF-8 string marshaller frees the answer with free(3).
        Marshal.FreeCoTaskMem(release);
    }

    [Fact]
    public void GetUnixVersion_IntoASmallBuffer_AsksForTheSizeItNeeds_ThenFormatsNameReleaseVersion()
    {
        Kernel kernel = TestKernel.Boot(out _);
        NativeLayer.Attach(kernel);
        delegate* unmanaged<nint, nint, int> getUnixVersion = &NativeSystemInfo.GetUnixVersion;
        string expected = "Linux 0.1.0-unikraft-gen #1 Unikraft.Gen";

        byte[] small = new byte[8];
        int capacity = small.Length;
        fixed (byte* buffer = small)
        {
            Assert.Equal(-1, getUnixVersion((nint)buffer, (nint)(&capacity)));
        }
        Assert.Equal(expected.Length + 1, capacity);

        byte[] large = new byte[capacity];
        fixed (byte* buffer = large)
        {
            Assert.Equal(0, getUnixVersion((nint)buffer, (nint)(&capacity)));
        }
        Assert.Equal(expected + "\0", Encoding.UTF8.GetString(large));
    }

    // The release names the kernel's version: it must move with the packages' version prefix.
    [Fact]
    public void Release_FollowsTheVersionPrefixOfThePackages()
    {
        string props = File.ReadAllText(Path.Combine(RepositoryRoot(), "Directory.Build.props"));
        Match prefix = Regex.Match(props, "<UnikraftVersionPrefix>([^<]+)</UnikraftVersionPrefix>");
        Assert.True(prefix.Success);
        Assert.StartsWith(prefix.Groups[1].Value + "-", KernelIdentity.Release, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        DirectoryInfo? directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory != null && !File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
        {
            directory = directory.Parent;
        }
        Assert.NotNull(directory);
        return directory.FullName;
    }

    private static string Field(byte[] utsname, int field)
    {
        ReadOnlySpan<byte> bytes = utsname.AsSpan(field * KernelIdentity.FieldLength, KernelIdentity.FieldLength);
        Assert.True(bytes.IndexOf((byte)0) >= 0);
        foreach (byte b in bytes.Slice(bytes.IndexOf((byte)0)))
        {
            Assert.Equal(0, b);
        }
        return Encoding.ASCII.GetString(bytes.Slice(0, bytes.IndexOf((byte)0)));
    }
}
