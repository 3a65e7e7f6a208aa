namespace HostCalls;

using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

public static class Sneaky
{
    public static string OpenSocket()
    {
        // NOTE: AF_INET 2, SOCK_STREAM 1 (sys/socket.h).
        int fd = socket(2, 1, 0);
        return fd >= 0 ? "socket opened" : "socket refused, errno " + Marshal.GetLastPInvokeError();
    }

    public static string OpenHostFile()
    {
        // NOTE: O_RDONLY 0 (fcntl.h). glibc's open is the openat system call at AT_FDCWD.
        int fd = open("/etc/passwd", 0);
        return fd >= 0 ? "host file opened" : "host file refused, errno " + Marshal.GetLastPInvokeError();
    }

    public static string StartProcess()
    {
        try
        {
            using Process? process = Process.Start("/bin/true");
            process?.WaitForExit();
            return "process started";
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return "process refused, errno " + exception.NativeErrorCode;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);
}
