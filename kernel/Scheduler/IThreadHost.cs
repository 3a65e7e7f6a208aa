namespace Unikraft.Kernel;

// Who runs in the place of a thread of control that blocks. The hosted platform supplies none:
// the kernel's own poll loop goes on, on a spare thread. The sim platform supplies the world,
// which goes on stepping every kernel (on a spare thread too), so that a blocked caller of one
// kernel never holds up another kernel or the world.
internal interface IThreadHost
{
    // Called on the blocking thread, which holds the baton and parks right after this returns:
    // hand the baton to whatever goes on in its place (without touching the kernel after that).
    void Block(Scheduler scheduler, ThreadOfControl blocking);
}
