namespace Unikraft.Kernel;

using System.Runtime.InteropServices;

// struct pollfd of poll(2) and ppoll(2), laid out as Linux's (8 bytes), so a caller's array of
// them can be handed over as it is.
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;

    // The PollEvents asked for.
    public short Events;

    // The PollEvents that hold, filled in by poll.
    public short ReturnedEvents;

    public PollFd(int fd, short events)
    {
        Fd = fd;
        Events = events;
        ReturnedEvents = 0;
    }
}
