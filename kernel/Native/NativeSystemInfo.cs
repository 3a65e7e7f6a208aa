namespace Unikraft.Kernel;

using System;
using System.Runtime.InteropServices;
using System.Text;

// The operating system's names as System.Native reports them (pal_runtimeinformation.c), from the
// kernel's uname: Environment.OSVersion parses GetUnixRelease, RuntimeInformation.OSDescription is
// GetUnixVersion. The runtime's own functions call the host's uname, which would describe the host's
// Linux, not the kernel the program runs on. GetUnixName stays a reviewed helper: it is a constant
// of the build ("LINUX"), which RuntimeInformation.IsOSPlatform compares with.
internal static class NativeSystemInfo
{
    // SystemNative_GetUnixRelease: utsname.release as memory the caller frees (free(3), which the
    // BCL's UTF-8 string marshaller calls), or NULL when uname fails.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetUnixRelease")]
    internal static nint GetUnixRelease()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetUnixRelease");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        Span<byte> utsname = stackalloc byte[KernelIdentity.Length];
        long result = Sys.Uname(layer.Kernel, utsname);
        if (result < 0)
        {
            Marshal.SetLastSystemError((int)-result);
            return 0;
        }
        return Marshal.StringToCoTaskMemUTF8(Field(utsname, 2));
    }

    // SystemNative_GetUnixVersion: "sysname release version" into the caller's buffer of
    // *capacity bytes, NUL-terminated: 0, or -1 with *capacity set to the size it needs (the BCL
    // then asks again with a buffer that large). pal_runtimeinformation.c formats the same three
    // fields with snprintf.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetUnixVersion")]
    internal static int GetUnixVersion(nint version, nint capacity)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetUnixVersion");
        NativeLayer? layer = call.Layer;
        if (layer == null || version == 0 || capacity == 0)
        {
            return -1;
        }
        Span<byte> utsname = stackalloc byte[KernelIdentity.Length];
        long result = Sys.Uname(layer.Kernel, utsname);
        if (result < 0)
        {
            Marshal.SetLastSystemError((int)-result);
            return -1;
        }
        string text = Field(utsname, 0) + " " + Field(utsname, 2) + " " + Field(utsname, 3);
        int needed = Encoding.UTF8.GetByteCount(text) + 1;
        if (Marshal.ReadInt32(capacity) < needed)
        {
            Marshal.WriteInt32(capacity, needed);
            return -1;
        }
        Span<byte> bytes = NativeLayer.Bytes(version, needed);
        Encoding.UTF8.GetBytes(text, bytes);
        bytes[needed - 1] = 0;
        return 0;
    }

    // One NUL-terminated field of a struct new_utsname.
    private static string Field(ReadOnlySpan<byte> utsname, int field)
    {
        ReadOnlySpan<byte> bytes = utsname.Slice(field * KernelIdentity.FieldLength, KernelIdentity.FieldLength);
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes.Slice(0, end));
    }
}
