namespace Unikraft.Kernel;

// NOTE: the poll(2) event bits of asm-generic/poll.h; epoll's EPOLL* bits below 0x10000 have the
// same values (eventpoll.h), so one mask serves poll, ppoll and epoll.
internal static class PollEvents
{
    public const int POLLIN = 0x0001;
    public const int POLLPRI = 0x0002;
    public const int POLLOUT = 0x0004;
    public const int POLLERR = 0x0008;
    public const int POLLHUP = 0x0010;
    public const int POLLNVAL = 0x0020;
    public const int POLLRDNORM = 0x0040;
    public const int POLLRDBAND = 0x0080;
    public const int POLLWRNORM = 0x0100;
    public const int POLLWRBAND = 0x0200;
    public const int POLLRDHUP = 0x2000;

    // What a regular file or a directory always reports: on Linux they have no poll method, and
    // poll(2) then treats them as readable and writable at once (DEFAULT_POLLMASK).
    public const int AlwaysReady = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}
