namespace Unikraft.Kernel;

using System;

// The console on the VM's serial line (COM1). Output and errors share the line; there is no
// input yet (the shim answers end of file), so a program reading stdin sees its end at once.
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

    public long ReadLine(Span<byte> buffer)
    {
        return 0;
    }

    // The end of input is there at once, so nothing ever arrives later.
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
}
