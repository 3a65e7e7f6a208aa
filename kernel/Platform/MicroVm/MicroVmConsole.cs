namespace Unikraft.Kernel;

using System;

// The console on the VM's serial line (COM1). Output and errors share the line; input comes from
// it a line at a time, until the runner's end of input (the shim's console_read), or key by key
// when the line is a terminal the program put in raw mode.
[Device("console")]
internal sealed class MicroVmConsole : IConsoleDevice
{
    private readonly MicroVmTerminal? terminal;

    // The kernel's scheduler, once a read listens for input (ListenForInput): its vCPU is let go
    // while a read waits in the shim.
    private Scheduler? scheduler;

    // A plain byte stream: fds 0-2 are not ttys.
    public MicroVmConsole()
    {
    }

    // terminal: the terminal the runner said is behind the line (MicroVmTerminal), or null.
    public MicroVmConsole(MicroVmTerminal? terminal)
    {
        this.terminal = terminal;
    }

    public long WriteOutput(ReadOnlySpan<byte> bytes)
    {
        return MicroVmSerial.Write(bytes);
    }

    public long WriteError(ReadOnlySpan<byte> bytes)
    {
        return MicroVmSerial.Write(bytes);
    }

    // Blocks in the shim until a line or the end of input is there (the shim runs the VM's other
    // threads meanwhile), in raw mode until a key is (or VTIME passed). On a plain byte stream the
    // read always answers, so poll sees input as ready; on a terminal poll asks the shim whether a
    // key or line is there (KeyAvailable in a game's loop must not block in a read).
    // While it waits, the kernel's vCPU is free for the other threads' kernel calls, as while the
    // scheduler idles: a CancelKeyPress handler that writes while Main waits in ReadKey runs at
    // once, not after the next key.
    public long ReadLine(Span<byte> buffer)
    {
        Scheduler? waiting = scheduler;
        if (waiting == null)
        {
            return MicroVmSerial.ReadLine(buffer);
        }
        int held = waiting.Vcpu.Release();
        try
        {
            return MicroVmSerial.ReadLine(buffer);
        }
        finally
        {
            waiting.Vcpu.Reacquire(held);
        }
    }

    public bool PollInput()
    {
        if (terminal == null)
        {
            return true;
        }
        long pending = MicroVmSerial.Pending();
        return pending != 0;
    }

    // No interrupt: a read waits in the shim itself (ReadLine).
    public void ListenForInput(Scheduler scheduler, Action arrived)
    {
        this.scheduler = scheduler;
    }

    // The shim writes every byte to the UART before write(2) returns.
    public void Flush()
    {
    }

    // The terminal the runner passed in (UNIKRAFT_TERMINAL), or null: then fds 0-2 are not ttys,
    // and the BCL writes no escape sequences and reads no raw keys.
    public IConsoleTerminal? Terminal => terminal;
}
