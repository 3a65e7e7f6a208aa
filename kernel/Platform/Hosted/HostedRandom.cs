namespace Unikraft.Kernel;

using System;
using System.Security.Cryptography;

// The host's cryptographic generator (getrandom on Linux underneath), so getrandom in the
// kernel is as strong as the host's.
[Device("random")]
internal sealed class HostedRandom : IRandomDevice
{
    public long Fill(Span<byte> buffer)
    {
        RandomNumberGenerator.Fill(buffer);
        return buffer.Length;
    }
}
