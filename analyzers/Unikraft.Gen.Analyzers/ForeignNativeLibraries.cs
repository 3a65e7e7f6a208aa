using System;
using System.Collections.Generic;

namespace Unikraft.Gen.Analyzers;

// Native libraries of other operating systems: Windows' system DLLs and Apple's frameworks and
// dylibs. A cross-platform library declares P/Invokes into them for its Windows or macOS code
// paths (Serilog's console sink asks kernel32.dll for the console mode, behind an OS check).
// None of them exists on Linux, so such a P/Invoke cannot reach the host from a program on the
// kernel: called, it throws DllNotFoundException. UK0301 leaves them out. A package that ships
// a file by one of these names to get it loaded anyway meets the hosted confinement, the
// run-time boundary, like any native code.
internal static class ForeignNativeLibraries
{
    private static readonly HashSet<string> Windows = new(StringComparer.OrdinalIgnoreCase)
    {
        "kernel32", "kernelbase", "ntdll", "user32", "gdi32", "advapi32", "shell32", "shlwapi", "ole32",
        "oleaut32", "comctl32", "comdlg32", "ws2_32", "mswsock", "iphlpapi", "dnsapi", "winhttp", "wininet",
        "crypt32", "bcrypt", "ncrypt", "secur32", "sspicli", "wintrust", "winmm", "version", "psapi",
        "dbghelp", "dwmapi", "uxtheme", "setupapi", "cfgmgr32", "netapi32", "userenv", "wtsapi32", "rpcrt4",
        "mpr", "imm32", "powrprof", "hid", "winspool.drv", "credui", "msvcrt", "ucrtbase", "shcore",
        "wevtapi", "winscard", "wlanapi", "normaliz", "mscoree", "msi", "pdh", "newdev", "avrt", "winusb",
        "d2d1", "d3d11", "dxgi", "dwrite", "mfplat", "ole32", "urlmon", "activeds", "authz", "fltlib",
        "icmp", "mi", "nsi", "ntdsapi", "propsys", "rstrtmgr", "sxs", "tdh", "virtdisk", "winbio",
    };

    public static bool Contains(string library)
    {
        string name = library.Trim();
        if (name.StartsWith("/System/Library/", StringComparison.Ordinal) || name.StartsWith("/usr/lib/libSystem", StringComparison.Ordinal)
            || name.StartsWith("/usr/lib/libobjc", StringComparison.Ordinal) || name.EndsWith(".dylib", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.StartsWith("api-ms-win-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ext-ms-win-", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            name = name.Substring(0, name.Length - 4);
        }

        return Windows.Contains(name);
    }
}
