namespace Unikraft.Kernel;

using System;
using System.Buffers;
using System.Runtime.InteropServices;

// The socket event port of System.Native (pal_networking.c, the epoll branch), on the kernel's
// epoll: the BCL's async sockets register each socket once, edge-triggered, with the data word
// that names it, and a ".NET Sockets" thread waits in WaitForSocketEvents for as long as it takes.
// The events cross as the PAL's SocketEvents: SA_READ 0x1 (EPOLLIN), SA_WRITE 0x2 (EPOLLOUT),
// SA_READCLOSE 0x4 (EPOLLRDHUP), SA_CLOSE 0x8 (EPOLLHUP), SA_ERROR 0x10 (EPOLLERR).
internal static class NativeSocketEvents
{
    private const int SaRead = 0x01;
    private const int SaWrite = 0x02;
    private const int SaReadClose = 0x04;
    private const int SaClose = 0x08;
    private const int SaError = 0x10;
    private const int SupportedEvents = SaRead | SaWrite | SaReadClose | SaClose | SaError;

    // NOTE: SocketEvent of pal_networking.h: Data (uintptr_t), Events (int32), Padding; 16 bytes,
    // larger than a 12-byte epoll_event, so a buffer of them holds the epoll results too.
    private const int SocketEventSize = 16;

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CreateSocketEventPort")]
    internal static int CreateSocketEventPort(nint port)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_CreateSocketEventPort");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (port == 0)
        {
            return NativePal.EFAULT;
        }
        long fd = Sys.EpollCreate1(layer.Kernel, OpenFlags.O_CLOEXEC);
        Marshal.WriteIntPtr(port, fd < 0 ? -1 : (nint)fd);
        return NativePal.FromResult(fd);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CloseSocketEventPort")]
    internal static int CloseSocketEventPort(nint port)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_CloseSocketEventPort");
        NativeLayer? layer = call.Layer;
        return layer == null ? NativePal.EPERM : NativePal.FromResult(Sys.Close(layer.Kernel, (int)port));
    }

    // The buffer is process memory the BCL reads the events from; it holds no kernel state, so
    // it comes from the process heap as the PAL's malloc gives it.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_CreateSocketEventBuffer")]
    internal static int CreateSocketEventBuffer(int count, nint buffer)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_CreateSocketEventBuffer");
        if (call.Layer == null)
        {
            return NativePal.EPERM;
        }
        if (buffer == 0 || count < 0)
        {
            return NativePal.EFAULT;
        }
        if (count > int.MaxValue / SocketEventSize)
        {
            return NativePal.ENOMEM;
        }
        Marshal.WriteIntPtr(buffer, Marshal.AllocHGlobal(Math.Max(count, 1) * SocketEventSize));
        return NativePal.Success;
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_FreeSocketEventBuffer")]
    internal static int FreeSocketEventBuffer(nint buffer)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_FreeSocketEventBuffer");
        Marshal.FreeHGlobal(buffer);
        return NativePal.Success;
    }

    // One registration change: ADD from none, DEL to none, MOD otherwise; always edge-triggered,
    // as the PAL registers every socket.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_TryChangeSocketEventRegistration")]
    internal static int TryChangeSocketEventRegistration(nint port, nint socket, int currentEvents, int newEvents, nuint data)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_TryChangeSocketEventRegistration");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if ((currentEvents & ~SupportedEvents) != 0 || (newEvents & ~SupportedEvents) != 0)
        {
            return NativePal.EINVAL;
        }
        if (currentEvents == newEvents)
        {
            return NativePal.Success;
        }
        int operation = currentEvents == 0 ? EpollFile.EPOLL_CTL_ADD : newEvents == 0 ? EpollFile.EPOLL_CTL_DEL : EpollFile.EPOLL_CTL_MOD;
        EpollEvent registration = new EpollEvent(ToEpoll(newEvents) | EpollFile.EPOLLET, data);
        return NativePal.FromResult(Sys.EpollCtl(layer.Kernel, (int)port, operation, (int)socket, registration));
    }

    // Waits with no timeout until at least one registered socket has an event, and writes them
    // as SocketEvents. NOTE: as the PAL does, EPOLLHUP is handed on as read and write readiness
    // (the BCL's read and write paths then see the hang-up themselves).
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_WaitForSocketEvents")]
    internal static int WaitForSocketEvents(nint port, nint buffer, nint count)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_WaitForSocketEvents");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (buffer == 0 || count == 0 || Marshal.ReadInt32(count) < 0)
        {
            return NativePal.EFAULT;
        }
        int capacity = Marshal.ReadInt32(count);
        EpollEvent[] events = ArrayPool<EpollEvent>.Shared.Rent(Math.Max(capacity, 1));
        try
        {
            long result = Sys.EpollWait(layer.Kernel, (int)port, events.AsSpan(0, capacity), -1);
            if (result < 0)
            {
                Marshal.WriteInt32(count, 0);
                return NativePal.FromResult(result);
            }
            for (int index = 0; index < (int)result; index++)
            {
                uint ready = events[index].Events;
                if ((ready & PollEvents.POLLHUP) != 0)
                {
                    ready = (ready & ~(uint)PollEvents.POLLHUP) | PollEvents.POLLIN | PollEvents.POLLOUT;
                }
                nint slot = buffer + index * SocketEventSize;
                Marshal.WriteIntPtr(slot, (nint)events[index].Data);
                Marshal.WriteInt32(slot, 8, ToSocketEvents(ready));
                Marshal.WriteInt32(slot, 12, 0);
            }
            Marshal.WriteInt32(count, (int)result);
            return NativePal.Success;
        }
        finally
        {
            ArrayPool<EpollEvent>.Shared.Return(events);
        }
    }

    private static uint ToEpoll(int events)
    {
        uint mask = 0;
        mask |= (events & SaRead) != 0 ? PollEvents.POLLIN : 0u;
        mask |= (events & SaWrite) != 0 ? PollEvents.POLLOUT : 0u;
        mask |= (events & SaReadClose) != 0 ? PollEvents.POLLRDHUP : 0u;
        mask |= (events & SaClose) != 0 ? PollEvents.POLLHUP : 0u;
        mask |= (events & SaError) != 0 ? PollEvents.POLLERR : 0u;
        return mask;
    }

    private static int ToSocketEvents(uint events)
    {
        int mask = 0;
        mask |= (events & PollEvents.POLLIN) != 0 ? SaRead : 0;
        mask |= (events & PollEvents.POLLOUT) != 0 ? SaWrite : 0;
        mask |= (events & PollEvents.POLLRDHUP) != 0 ? SaReadClose : 0;
        mask |= (events & PollEvents.POLLHUP) != 0 ? SaClose : 0;
        mask |= (events & PollEvents.POLLERR) != 0 ? SaError : 0;
        return mask;
    }
}
