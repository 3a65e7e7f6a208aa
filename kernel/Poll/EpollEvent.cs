namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// struct epoll_event as x86-64 Linux lays it out: packed, the 64-bit data word right after the
// 32-bit events (12 bytes; eventpoll.h marks it __attribute__((packed)) on x86-64).
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEvent
{
    public uint Events;

    // The caller's word, handed back unchanged with each event.
    public ulong Data;

    public EpollEvent(uint events, ulong data)
    {
        Events = events;
        Data = data;
    }
}
