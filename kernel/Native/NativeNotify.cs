namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// The inotify functions of System.Native (pal_io.h), served by the kernel's inotify: the BCL's
// FileSystemWatcher (and with it ASP.NET Core's reload of appsettings.json, PhysicalFileProvider's
// change tokens) watches the kernel's files, and reads and polls the instance's fd through the
// kernel's read and poll. Each returns -1 with errno set on failure, as pal_io.c does. Under the
// JIT, which has no link to say what the program imports, they come with a type that watches
// files (FileSystemWatcher, or the file providers, host or ASP.NET Core that make one).
internal static class NativeNotify
{
    // SystemNative_INotifyInit: inotify_init(), an instance with no flags (pal_io.c).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_INotifyInit")]
    [KernelFeature("Inotify")]
    internal static nint INotifyInit()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_INotifyInit");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.InotifyInit1(layer.Kernel, 0));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_INotifyAddWatch")]
    [KernelFeature("Inotify")]
    internal static int INotifyAddWatch(nint fd, nint path, uint mask)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_INotifyAddWatch");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.InotifyAddWatch(layer.Kernel, (int)fd, NativeLayer.Text(path), mask));
    }

    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_INotifyRemoveWatch")]
    [KernelFeature("Inotify")]
    internal static int INotifyRemoveWatch(nint fd, int descriptor)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_INotifyRemoveWatch");
        NativeLayer? layer = call.Layer;
        return layer == null ? -1 : NativeLayer.Result(Sys.InotifyRmWatch(layer.Kernel, (int)fd, descriptor));
    }
}
