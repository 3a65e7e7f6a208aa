namespace Unikraft.Kernel;

using System;

// The console on the VM's serial line (COM1). Output and errors share the line; input comes from
// it a line at a time, until the runner's end of input (the shim's console_read).
[Device("console")]
internal sealed class MicroVmConsole : IConsoleDevice
{
    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        return MicroVmSerial.Write(bytes);
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        return MicroVmSerial.Write(bytes);
    }

    // Blocks in the shim until a line or the end of input is there (the shim runs the VM's other
    // threads meanwhile): the read always answers, so poll sees input as ready.
    public long ReadLine(Span<byte> buffer)
    {
        return MicroVmSerial.ReadLine(buffer);
    }

    public bool PollInput()
    {
        return true;
    }

    public void ListenForInput(Scheduler scheduler, Action arrived)
    {
    }

    // The shim writes every byte to the UART before write(2) returns.
    public void Flush()
    {
    }

    // The serial line has no line discipline the kernel can switch (the shim hands input over a
    // line at a time and answers the runtime's own ioctl with ENOTTY): fds 0-2 are not ttys, and the
    // BCL falls back to the window size of TERM's terminfo entry.
    public IConsoleTerminal? Terminal => null;
}
