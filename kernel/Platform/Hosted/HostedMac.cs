namespace Unikraft.Kernel;

using System;
using System.Buffers.Binary;

// Hardware addresses for the hosted network devices.
internal static class HostedMac
{
    // The first octet's bit 1 marks a locally administered address and bit 0 a group address
    // (IEEE 802): a locally administered unicast address is one no vendor assigned, for one
    // station, so it cannot clash with a real NIC's.
    private const long LocallyAdministered = 0x0200_0000_0000;
    private const long GroupBit = 0x0100_0000_0000;

    // A random locally administered unicast address from the host's getrandom(2); device names
    // the device in the error.
    public static MacAddress RandomLocal(string device)
    {
        Span<byte> bytes = stackalloc byte[8];
        long result = HostedCalls.GetRandom(bytes);
        if (result < 0)
        {
            throw KernelException.Failed(device + ": getrandom for a MAC address", result);
        }
        long value = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return new MacAddress((value | LocallyAdministered) & ~GroupBit);
    }
}
