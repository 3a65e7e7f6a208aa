namespace Unikraft.Kernel;

using System;

// The host's getrandom(2), called through libc (see HostedCalls), so getrandom in the
// kernel is as strong as the host's.
[Device("random")]
internal sealed class HostedRandom : IRandomDevice
{
    public long Fill(Span<byte> buffer)
    {
        return HostedCalls.GetRandom(buffer);
    }
}
