namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// The process functions of System.Native (pal_process.c), answered as a Linux process that may
// start no other process answers them: the kernel runs one program, and on hosted its
// confinement refuses fork and exec with EPERM too. System.Diagnostics.Process is in every
// ASP.NET Core image (the hosting layer names it), so a NativeAOT link imports these whether or
// not the program starts anything; each answer is one the BCL already handles (Process.Start
// throws Win32Exception, Kill and the waits find no child).
internal static class NativeProcesses
{
    // SystemNative_ForkAndExecProcess: -1 with errno, as pal_process.c fails; Process.Start throws.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ForkAndExecProcess")]
    internal static int ForkAndExecProcess(nint filename)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ForkAndExecProcess");
        NativeLayer? layer = call.Layer;
        if (layer != null)
        {
            layer.Kernel.Log.Write("[uk] native layer: starting a process refused (EPERM): the kernel runs one program");
        }
        Marshal.SetLastSystemError(Errno.EPERM);
        return -1;
    }

    // SystemNative_ConfigureTerminalForChildProcess: the terminal around a child's start. No child
    // ever starts, so there is nothing to configure.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ConfigureTerminalForChildProcess")]
    internal static void ConfigureTerminalForChildProcess(int childUsesTerminal)
    {
    }

    // SystemNative_Kill: kill(2). The program's Process objects can only name processes it never
    // started: ESRCH, no such process (the kernel sends no signals, to the program either).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Kill")]
    internal static int Kill(int pid, int signal)
    {
        Marshal.SetLastSystemError(Errno.ESRCH);
        return -1;
    }

    // SystemNative_WaitPidExitedNoHang: waitpid(pid, WNOHANG) with no children is ECHILD.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_WaitPidExitedNoHang")]
    internal static int WaitPidExitedNoHang(int pid, nint exitCode)
    {
        Marshal.SetLastSystemError(Errno.ECHILD);
        return -1;
    }

    // SystemNative_WaitIdAnyExitedNoHangNoWait: 0, "no child has exited", which pal_process.c
    // also answers when waitid finds no children (ECHILD).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_WaitIdAnyExitedNoHangNoWait")]
    internal static int WaitIdAnyExitedNoHangNoWait()
    {
        return 0;
    }

    // SystemNative_GetProcessPath: the executable's path (Environment.ProcessPath, and from it
    // AppContext.BaseDirectory in a NativeAOT image) as memory the caller frees (free(3), which the
    // BCL's marshaller calls), or NULL. pal_process.c resolves /proc/self/exe each time, which the
    // confinement refuses once the program runs; the layer holds the answer the platform gave at
    // boot.
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetProcessPath")]
    internal static nint GetProcessPath()
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetProcessPath");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return 0;
        }
        if (layer.ExecutablePath == null)
        {
            Marshal.SetLastSystemError(Errno.ENOENT);
            return 0;
        }
        return Marshal.StringToCoTaskMemUTF8(layer.ExecutablePath);
    }

    // SystemNative_GetPwNamR: the user database entry for a name, for a process started as another
    // user. The kernel has no user database: -1 is pal_uid.c's "no such entry".
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetPwNamR")]
    internal static int GetPwNamR(nint name, nint passwd, nint buffer, int bufferLength)
    {
        return -1;
    }

    // SystemNative_GetGroupList: a user's groups, for the same; no user database (ENOENT).
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetGroupList")]
    internal static int GetGroupList(nint name, uint group, nint groups, nint groupCount)
    {
        Marshal.SetLastSystemError(Errno.ENOENT);
        return -1;
    }
}
