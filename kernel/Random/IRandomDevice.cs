namespace Unikraft.Kernel;

using System;

// The only source of randomness, so the sim platform can seed it and replay a run exactly.
internal interface IRandomDevice
{
    // Fills the whole buffer; returns the number of bytes written or -errno.
    long Fill(Span<byte> buffer);
}
