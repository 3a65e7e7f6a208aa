namespace Unikraft.Kernel;

using System;
using System.Text;

// What the kernel says it is: the answer of uname(2). The program runs on this kernel, not on the
// host's Linux, so the names are the kernel's own and never the host's (Environment.OSVersion and
// RuntimeInformation.OSDescription read them through the native layer).
internal static class KernelIdentity
{
    // NOTE: "Linux" because the kernel speaks the Linux x86-64 ABI (syscall numbers, errno values,
    // struct layouts), which is what a program asking uname's sysname wants to know.
    public const string SystemName = "Linux";

    // The kernel has no network host name of its own.
    public const string NodeName = "unikraft";

    // NOTE: the release follows UnikraftVersionPrefix in Directory.Build.props (a kernel test
    // checks that they agree); the suffix says whose kernel it is, as distributions suffix theirs.
    public const string Release = "0.1.0-unikraft-gen";

    public const string Version = "#1 Unikraft.Gen";

    public const string Machine = "x86_64";

    // NOTE: what Linux answers when no NIS domain is set (kernel/sys.c's init_uts_ns).
    public const string DomainName = "(none)";

    // NOTE: struct new_utsname (include/uapi/linux/utsname.h): six fields of
    // __NEW_UTS_LEN + 1 = 65 bytes each, NUL-terminated: sysname, nodename, release, version,
    // machine, domainname.
    public const int FieldLength = 65;
    public const int FieldCount = 6;
    public const int Length = FieldLength * FieldCount;
}

internal static partial class Sys
{
    // uname(2): fills a struct new_utsname with the kernel's identity; -EFAULT when the buffer
    // cannot hold one.
    [Syscall(SyscallNumber.Uname)]
    internal static long Uname(Kernel kernel, Span<byte> utsname)
    {
        if (utsname.Length < KernelIdentity.Length)
        {
            return kernel.Return(SyscallNumber.Uname, -Errno.EFAULT);
        }
        utsname.Slice(0, KernelIdentity.Length).Clear();
        WriteUtsField(utsname, 0, KernelIdentity.SystemName);
        WriteUtsField(utsname, 1, KernelIdentity.NodeName);
        WriteUtsField(utsname, 2, KernelIdentity.Release);
        WriteUtsField(utsname, 3, KernelIdentity.Version);
        WriteUtsField(utsname, 4, KernelIdentity.Machine);
        WriteUtsField(utsname, 5, KernelIdentity.DomainName);
        return kernel.Return(SyscallNumber.Uname, 0);
    }

    // The constants are ASCII and shorter than a field, so the field keeps its NUL.
    private static void WriteUtsField(Span<byte> utsname, int field, string text)
    {
        Encoding.ASCII.GetBytes(text, utsname.Slice(field * KernelIdentity.FieldLength, KernelIdentity.FieldLength - 1));
    }
}
