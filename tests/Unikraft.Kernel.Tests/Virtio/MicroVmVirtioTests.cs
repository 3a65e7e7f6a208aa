namespace Unikraft.Kernel.Tests.Virtio;

using Xunit;

// Where the microvm platform looks for its virtio-mmio transports. QEMU plugs the runner's first
// -device into the last of the eight transports, so the list starts there: the index-th card the
// driver finds is the index-th <UnikraftNet> item's (two cards in one VM were checked by hand:
// eth0 got the first -device's MAC).
public sealed class MicroVmVirtioTests
{
    [Fact]
    public void Transports_AreListedFromTheLast_WithTheirIoApicLines()
    {
        var machine = new MicroVmVirtio();

        Assert.Equal(8, machine.TransportCount);
        Assert.Equal(0xFEB00E00UL, machine.TransportAddress(0));
        Assert.Equal(23, machine.TransportLine(0));
        Assert.Equal(0xFEB00000UL, machine.TransportAddress(7));
        Assert.Equal(16, machine.TransportLine(7));
    }
}
