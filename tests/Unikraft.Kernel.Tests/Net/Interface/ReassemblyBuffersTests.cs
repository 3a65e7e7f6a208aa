namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using Unikraft.Kernel;
using Xunit;

// The part IPv4 and IPv6 reassembly share, under each protocol's rule for overlaps.
public class ReassemblyBuffersTests
{
    private const long Timeout = 1000;

    private static byte[] Filled(int length, byte value)
    {
        byte[] bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }

    [Fact]
    public void Ipv4Rule_OverlappingFragments_MergeWithTheLaterBytes()
    {
        PacketPool pool = new PacketPool(2);
        ReassemblyBuffers buffers = new ReassemblyBuffers(pool, 2, Timeout, 0, false);
        int slot = buffers.Open(0);

        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 0, Filled(16, 1), true));
        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 8, Filled(16, 2), true));
        Assert.Equal(ReassemblyBuffers.Completed, buffers.Place(slot, 24, Filled(4, 3), false));

        Assert.Equal(28, buffers.TotalLength(slot));
        byte[] expected = new byte[28];
        expected.AsSpan(0, 8).Fill(1);
        expected.AsSpan(8, 16).Fill(2);
        expected.AsSpan(24, 4).Fill(3);
        Assert.Equal(expected, buffers.Buffer(slot).Slice(0, 28).ToArray());
        buffers.Release(slot);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Ipv6Rule_OverlapDropsTheDatagram_AnExactRepeatIsIgnored()
    {
        PacketPool pool = new PacketPool(2);
        ReassemblyBuffers buffers = new ReassemblyBuffers(pool, 2, Timeout, Ipv6Packet.HeaderLength, true);
        int slot = buffers.Open(0);

        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 0, Filled(16, 1), true));
        Assert.Equal(ReassemblyBuffers.Ignored, buffers.Place(slot, 0, Filled(16, 1), true));
        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 16, Filled(8, 2), true));
        // Same place, other bytes: an overlap, not a repeat (RFC 5722).
        Assert.Equal(ReassemblyBuffers.Rejected, buffers.Place(slot, 16, Filled(8, 9), true));
        Assert.False(buffers.InUse(slot));
        Assert.Equal(1, buffers.Dropped);

        slot = buffers.Open(0);
        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 0, Filled(16, 1), true));
        Assert.Equal(ReassemblyBuffers.Rejected, buffers.Place(slot, 8, Filled(16, 1), true));
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void FragmentsThatCannotBelong_AreNotAccepted()
    {
        ReassemblyBuffers buffers = new ReassemblyBuffers(new PacketPool(2), 2, Timeout, 0, false);

        Assert.False(buffers.Acceptable(0, 12, true, 65515)); // not a multiple of 8 and more follow
        Assert.False(buffers.Acceptable(0, 0, false, 65515));
        Assert.False(buffers.Acceptable(65512, 8, false, 65515));
        Assert.True(buffers.Acceptable(65504, 11, false, 65515));
        Assert.Equal(3, buffers.Dropped);
    }

    [Fact]
    public void ASecondDifferentEnd_OrDataPastTheEnd_DropsTheDatagram()
    {
        ReassemblyBuffers buffers = new ReassemblyBuffers(new PacketPool(2), 2, Timeout, 0, false);
        int slot = buffers.Open(0);
        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 16, Filled(8, 1), false));
        Assert.Equal(ReassemblyBuffers.Rejected, buffers.Place(slot, 24, Filled(8, 1), true));

        slot = buffers.Open(0);
        Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, 16, Filled(8, 1), false));
        Assert.Equal(ReassemblyBuffers.Rejected, buffers.Place(slot, 16, Filled(16, 1), false));
        Assert.Equal(2, buffers.Dropped);
    }

    [Fact]
    public void TooManyHoles_DropTheDatagram()
    {
        ReassemblyBuffers buffers = new ReassemblyBuffers(new PacketPool(2), 1, Timeout, 0, false);
        int slot = buffers.Open(0);
        for (int index = 0; index < ReassemblyBuffers.MaximumRanges; index++)
        {
            Assert.Equal(ReassemblyBuffers.Placed, buffers.Place(slot, index * 16, Filled(8, 1), true));
        }
        Assert.Equal(ReassemblyBuffers.Rejected, buffers.Place(slot, ReassemblyBuffers.MaximumRanges * 16, Filled(8, 1), true));
        Assert.False(buffers.InUse(slot));
    }

    [Fact]
    public void FullSlots_EvictTheOldest_AndExpiryReportsOnlyDatagramsWhoseStartCame()
    {
        PacketPool pool = new PacketPool(4);
        ReassemblyBuffers buffers = new ReassemblyBuffers(pool, 2, Timeout, 0, false);
        int first = buffers.Open(10);
        buffers.Place(first, 0, Filled(8, 1), true);
        int second = buffers.Open(20);
        buffers.Place(second, 8, Filled(8, 1), true);
        int third = buffers.Open(30);
        Assert.Equal(first, third);
        Assert.Equal(1, buffers.Evicted);
        buffers.Place(third, 0, Filled(8, 1), true);

        int reported = -1;
        int calls = 0;
        Assert.Equal(30 + Timeout, buffers.Expire(20 + Timeout, index => { reported = index; calls++; }));
        Assert.Equal(0, calls); // the second's start never came
        Assert.Equal(long.MaxValue, buffers.Expire(30 + Timeout, index => { reported = index; calls++; }));
        Assert.Equal(1, calls);
        Assert.Equal(third, reported);
        Assert.Equal(0, buffers.InFlight);
        Assert.Equal(0, pool.Outstanding);
    }
}
