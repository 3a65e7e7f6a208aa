namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

public class Ipv4IcmpTests
{
    private const long Second = 1_000_000_000;
    private const int IcmpStart = EthernetFrame.HeaderLength + Ipv4Packet.MinimumHeaderLength;

    [Fact]
    public void CapturedEchoRequest_IsAnsweredWithLinuxsIcmpBytes()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames.EchoRequest);

        byte[] reply = b.Device.TakeOnly();
        Ipv4Header header = NetTestHost.Ipv4Of(reply);
        Assert.Equal(CapturedFrames.AddressB, header.Source);
        Assert.Equal(CapturedFrames.AddressA, header.Destination);
        Assert.Equal(IpProtocol.Icmp, header.Protocol);
        Assert.Equal(64, header.TimeToLive);
        // Ethernet header and the whole ICMP message (id, seq, data, checksum) as Linux's reply;
        // only the IP identification (and so the header checksum) may differ.
        Assert.Equal(CapturedFrames.EchoReply.AsSpan(0, EthernetFrame.HeaderLength).ToArray(), reply.AsSpan(0, EthernetFrame.HeaderLength).ToArray());
        Assert.Equal(CapturedFrames.EchoReply.AsSpan(IcmpStart).ToArray(), reply.AsSpan(IcmpStart).ToArray());
        Assert.Equal(1, b.Stack.Counters.IcmpEchoReplies);
    }

    [Fact]
    public void EchoRequestWithBadChecksum_IsNotAnswered()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        byte[] bad = (byte[])CapturedFrames.EchoRequest.Clone();
        bad[bad.Length - 1] ^= 1;

        b.Device.Inject(bad);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Stack.Counters.IcmpBad);
    }

    [Fact]
    public void EchoRequestToBroadcast_IsNotAnswered()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        byte[] broadcast = Readdress(CapturedFrames.EchoRequest, new Ipv4Address(198, 18, 5, 255), MacAddress.Broadcast);

        b.Device.Inject(broadcast);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Stack.Counters.Ipv4Delivered);
    }

    [Fact]
    public void DatagramForAnotherHost_IsDropped()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        byte[] other = Readdress(CapturedFrames.EchoRequest, new Ipv4Address(198, 18, 5, 9), CapturedFrames.MacB);

        b.Device.Inject(other);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Stack.Counters.Ipv4NotForUs);
        Assert.Equal(0, b.Stack.Counters.Ipv4Delivered);
    }

    [Fact]
    public void FrameForAnotherMac_IsDropped()
    {
        NetTestHost a = new NetTestHost(hostB: false);

        // B's echo reply is for A's MAC; A's own request is for B's.
        a.Device.Inject(CapturedFrames.EchoRequest);

        Assert.Equal(1, a.Stack.Counters.FramesDropped);
        Assert.Equal(0, a.Stack.Counters.Ipv4Received);
    }

    [Fact]
    public void CapturedUdpToClosedPort_IsAnsweredWithLinuxsPortUnreachable()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames.UdpToClosedPort);

        byte[] error = b.Device.TakeOnly();
        // The ICMP message is byte for byte Linux's: type 3 code 3, and the whole offending
        // datagram quoted (it is shorter than 576 bytes).
        Assert.Equal(CapturedFrames.PortUnreachable.AsSpan(IcmpStart).ToArray(), error.AsSpan(IcmpStart).ToArray());
        Assert.Equal(1, b.Stack.Counters.NoEndpoint);
        Assert.Equal(1, b.Stack.Counters.IcmpErrorsSent);
    }

    [Theory]
    [InlineData(255, 255, 255, 255)]
    [InlineData(198, 18, 5, 255)]
    public void UdpToClosedPort_SentToBroadcast_GetsNoError(byte first, byte second, byte third, byte fourth)
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        byte[] broadcast = Readdress(CapturedFrames.UdpToClosedPort, new Ipv4Address(first, second, third, fourth), MacAddress.Broadcast);
        FixUdpChecksum(broadcast);

        b.Device.Inject(broadcast);

        Assert.Equal(1, b.Stack.Counters.NoEndpoint);
        Assert.Empty(b.Device.Sent);
    }

    [Fact]
    public void UdpWithBadChecksum_IsDroppedWithoutAnError()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        byte[] bad = (byte[])CapturedFrames.UdpToClosedPort.Clone();
        bad[bad.Length - 2] ^= 0x40;

        b.Device.Inject(bad);

        Assert.Empty(b.Device.Sent);
        Assert.Equal(1, b.Udp.BadChecksums);
    }

    [Fact]
    public void UnknownProtocol_GetsProtocolUnreachable()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();
        byte[] frame = (byte[])CapturedFrames.UdpHello.Clone();
        frame[EthernetFrame.HeaderLength + 9] = 99;
        FixHeaderChecksum(frame);

        b.Device.Inject(frame);

        byte[] error = b.Device.TakeOnly();
        Assert.Equal(IcmpType.DestinationUnreachable, error[IcmpStart]);
        Assert.Equal(IcmpType.CodeProtocolUnreachable, error[IcmpStart + 1]);
    }

    [Fact]
    public void CapturedFragments_AreReassembledAndAnsweredInFragmentsLikeLinuxs()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames.FragmentedEchoFirst);
        Assert.Empty(b.Device.Sent);
        b.Device.Inject(CapturedFrames.FragmentedEchoLast);

        Assert.Equal(2, b.Device.Sent.Count);
        Assert.Equal(CapturedFrames.FragmentedReplyFirst.Length, b.Device.Sent[0].Length);
        Assert.Equal(CapturedFrames.FragmentedReplyLast.Length, b.Device.Sent[1].Length);
        Ipv4Header first = NetTestHost.Ipv4Of(b.Device.Sent[0]);
        Ipv4Header last = NetTestHost.Ipv4Of(b.Device.Sent[1]);
        Assert.True(first.MoreFragments);
        Assert.Equal(0, first.FragmentOffset);
        Assert.False(last.MoreFragments);
        Assert.Equal(1480, last.FragmentOffset);
        Assert.Equal(first.Identification, last.Identification);
        // The reply's ICMP bytes across both fragments are Linux's.
        Assert.Equal(Concatenate(CapturedFrames.FragmentedReplyFirst, CapturedFrames.FragmentedReplyLast),
            Concatenate(b.Device.Sent[0], b.Device.Sent[1]));
        Assert.Equal(0, b.Stack.Reassembly.InFlight);
        Assert.Equal(0, b.Stack.Pool.Outstanding);
    }

    [Fact]
    public void FragmentsOutOfOrderAndDuplicated_AreReassembledOnce()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames.FragmentedEchoLast);
        b.Device.Inject(CapturedFrames.FragmentedEchoLast);
        b.Device.Inject(CapturedFrames.FragmentedEchoFirst);
        b.Device.Inject(CapturedFrames.FragmentedEchoFirst);

        Assert.Equal(1, b.Stack.Counters.Reassembled);
        Assert.Equal(1, b.Stack.Counters.IcmpEchoReplies);
        Assert.Equal(1, b.Stack.Reassembly.InFlight); // the late duplicate starts a datagram that times out
        b.Run(Ipv4Reassembly.Timeout + Second);
        Assert.Equal(0, b.Stack.Reassembly.InFlight);
    }

    [Fact]
    public void IncompleteDatagram_TimesOutWithTimeExceeded()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        b.Device.Sent.Clear();

        b.Device.Inject(CapturedFrames.FragmentedEchoFirst);
        b.Run(Ipv4Reassembly.Timeout - Second);
        Assert.Equal(1, b.Stack.Reassembly.InFlight);
        Assert.Empty(b.Device.Sent);
        b.Run(2 * Second);

        Assert.Equal(0, b.Stack.Reassembly.InFlight);
        Assert.Equal(1, b.Stack.Counters.ReassemblyTimeouts);
        byte[] error = b.Device.TakeOnly();
        Assert.Equal(IcmpType.TimeExceeded, error[IcmpStart]);
        Assert.Equal(IcmpType.CodeReassemblyTimeExceeded, error[IcmpStart + 1]);
        // It quotes the first fragment's header and its first 8 bytes of data.
        Assert.Equal(CapturedFrames.FragmentedEchoFirst.AsSpan(EthernetFrame.HeaderLength, 28).ToArray(),
            error.AsSpan(IcmpStart + IcmpMessage.HeaderLength).ToArray());
        Assert.Equal(0, b.Stack.Pool.Outstanding);
    }

    [Fact]
    public void ManyIncompleteDatagrams_StayWithinTheBound()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        for (int index = 0; index < 50; index++)
        {
            byte[] fragment = (byte[])CapturedFrames.FragmentedEchoFirst.Clone();
            fragment[EthernetFrame.HeaderLength + 4] = (byte)index;
            FixHeaderChecksum(fragment);
            b.Device.Inject(fragment);
        }

        Assert.Equal(Ipv4Reassembly.MaximumDatagrams, b.Stack.Reassembly.InFlight);
        Assert.Equal(50 - Ipv4Reassembly.MaximumDatagrams, b.Stack.Reassembly.Evicted);
        Assert.True(b.Stack.Pool.Outstanding <= Ipv4Reassembly.MaximumDatagrams);
    }

    [Fact]
    public void LongDatagram_LeavesInFragmentsThatReassemble()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        a.Device.Inject(CapturedFrames.ArpReply);
        byte[] payload = new byte[8000];
        new Random(5).NextBytes(payload);

        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Udp, payload));

        // NOTE: 1480 bytes a fragment at MTU 1500: five full ones and 600 bytes.
        Assert.Equal(6, a.Device.Sent.Count);
        byte[] joined = new byte[8000];
        int expectedOffset = 0;
        ushort identification = NetTestHost.Ipv4Of(a.Device.Sent[0]).Identification;
        for (int index = 0; index < a.Device.Sent.Count; index++)
        {
            byte[] frame = a.Device.Sent[index];
            Assert.True(frame.Length <= 1514);
            Ipv4Header header = NetTestHost.Ipv4Of(frame);
            Assert.Equal(expectedOffset, header.FragmentOffset);
            Assert.Equal(index < 5, header.MoreFragments);
            Assert.Equal(identification, header.Identification);
            Assert.Equal(0, header.FragmentOffset % 8);
            NetTestHost.Ipv4Payload(frame).CopyTo(joined, header.FragmentOffset);
            expectedOffset += header.PayloadLength;
        }
        Assert.Equal(8000, expectedOffset);
        Assert.Equal(payload, joined);
    }

    // Found by the simulator (TcpScenarios.Bulk_SmallMtu, seed 700): at an MTU of 576, whose
    // 556 bytes of room are no multiple of 8, a datagram of 553 to 556 bytes of payload fits one
    // frame but left as a 552-byte first fragment and a short second one (every full-sized TCP
    // segment over such a link did). Only a datagram longer than the MTU is fragmented.
    [Theory]
    [InlineData(553)]
    [InlineData(556)]
    public void DatagramThatFitsAnMtuNotAMultipleOf8_LeavesWhole(int length)
    {
        NetTestHost a = new NetTestHost(hostB: false, mtu: 576);
        a.Device.Inject(CapturedFrames.ArpReply);
        byte[] payload = new byte[length];
        new Random(length).NextBytes(payload);

        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Udp, payload));

        byte[] frame = a.Device.TakeOnly();
        Ipv4Header header = NetTestHost.Ipv4Of(frame);
        Assert.False(header.IsFragment);
        Assert.Equal(payload, NetTestHost.Ipv4Payload(frame));
        Assert.Equal(0, a.Stack.Counters.FragmentsSent);
    }

    [Fact]
    public void DatagramLongerThanIpv4Allows_IsEMSGSIZE()
    {
        NetTestHost a = new NetTestHost(hostB: false);

        Assert.Equal(-Errno.EMSGSIZE, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Udp, new byte[65516]));
    }

    [Fact]
    public void PingToLoopbackAndOwnAddress_IsAnsweredInsideTheKernel()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        byte[] request = ArpTests.EchoPayload(3);

        Assert.Equal(0, a.Stack.Send(Ipv4Address.Any, new Ipv4Address(127, 0, 0, 1), IpProtocol.Icmp, request));
        Assert.Equal(0, a.Stack.Send(a.Address, a.Address, IpProtocol.Icmp, request));
        // Nothing runs inside the sender's call: the loopback queue drains on a later turn.
        Assert.Empty(a.Icmp.Messages);
        a.Run(1000);

        Assert.Empty(a.Device.Sent);
        Assert.Equal(2, a.Icmp.Messages.Count);
        Assert.Equal(new Ipv4Address(127, 0, 0, 1), a.Icmp.Messages[0].Source);
        Assert.Equal(a.Address, a.Icmp.Messages[1].Source);
        foreach ((Ipv4Address _, byte[] message) in a.Icmp.Messages)
        {
            Assert.Equal(IcmpType.EchoReply, message[0]);
            Assert.Equal(request.AsSpan(4).ToArray(), message.AsSpan(4).ToArray());
        }
        Assert.Equal(0, a.Stack.Pool.Outstanding);
    }

    [Fact]
    public void LoopbackQueue_IsBoundedInBytes_AndDrainsBackToZero()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        byte[] big = new byte[60000];
        int accepted = 0;
        int refused = 0;
        for (int index = 0; index < 100; index++)
        {
            int result = a.Stack.Send(Ipv4Address.Any, Ipv4Address.Loopback, 99, big);
            if (result == 0)
            {
                accepted++;
            }
            else
            {
                Assert.Equal(-Errno.ENOBUFS, result);
                refused++;
            }
        }

        Assert.Equal(NetStack.LoopbackQueueBytes / (big.Length + Ipv4Packet.MinimumHeaderLength), accepted);
        Assert.Equal(100 - accepted, refused);
        a.Run(1000);
        Assert.Equal(0, a.Stack.Pool.Outstanding);
        // Drained: room again.
        Assert.Equal(0, a.Stack.Send(Ipv4Address.Any, Ipv4Address.Loopback, 99, big));
    }

    [Fact]
    public void LoopbackFromOutside_IsDropped()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        byte[] spoofed = (byte[])CapturedFrames.EchoRequest.Clone();
        new Ipv4Address(127, 0, 0, 1).Write(spoofed.AsSpan(EthernetFrame.HeaderLength + 12));
        FixHeaderChecksum(spoofed);

        b.Device.Inject(spoofed);

        Assert.Equal(1, b.Stack.Counters.Ipv4BadAddress);
        Assert.Empty(b.Device.Sent);
    }

    [Fact]
    public void RandomAndMutatedFrames_NeverThrow()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.Inject(CapturedFrames.ArpRequest);
        Random random = new Random(42);
        byte[][] seeds =
        {
            CapturedFrames.ArpRequest, CapturedFrames.EchoRequest, CapturedFrames.UdpHello, CapturedFrames.UdpToClosedPort,
            CapturedFrames.FragmentedEchoFirst, CapturedFrames.FragmentedEchoLast, CapturedFrames.PortUnreachable,
        };
        for (int round = 0; round < 20000; round++)
        {
            byte[] frame;
            if (round % 4 == 0)
            {
                frame = new byte[random.Next(80)];
                random.NextBytes(frame);
            }
            else
            {
                byte[] seed = seeds[random.Next(seeds.Length)];
                frame = seed.AsSpan(0, Math.Max(0, seed.Length - (round % 3 == 0 ? random.Next(seed.Length) : 0))).ToArray();
                for (int flips = random.Next(1, 4); flips > 0 && frame.Length > 0; flips--)
                {
                    frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                }
            }
            b.Device.Inject(frame);
            b.Device.Sent.Clear();
        }
        b.Run(Ipv4Reassembly.Timeout + Second);
        Assert.Equal(0, b.Stack.Reassembly.InFlight);
        Assert.True(b.Interface.Arp.Count <= ArpCache.MaximumEntries);
    }

    private static byte[] Readdress(byte[] frame, Ipv4Address destination, MacAddress mac)
    {
        byte[] copy = (byte[])frame.Clone();
        mac.Write(copy);
        destination.Write(copy.AsSpan(EthernetFrame.HeaderLength + 16));
        FixHeaderChecksum(copy);
        return copy;
    }

    private static void FixHeaderChecksum(byte[] frame)
    {
        Assert.True(Ipv4Packet.TryWrap(frame.AsSpan(EthernetFrame.HeaderLength), out Ipv4Packet packet));
        packet.FillChecksum();
    }

    private static void FixUdpChecksum(byte[] frame)
    {
        Ipv4Packet.TryWrap(frame.AsSpan(EthernetFrame.HeaderLength), out Ipv4Packet packet);
        UdpDatagram.TryWrap(packet.Payload, out UdpDatagram datagram);
        datagram.SetChecksum(0);
        datagram.SetChecksum(datagram.ComputeChecksum(packet.Source, packet.Destination));
    }

    private static byte[] Concatenate(byte[] first, byte[] last)
    {
        List<byte> bytes = new List<byte>(first.AsSpan(IcmpStart).ToArray());
        bytes.AddRange(last.AsSpan(IcmpStart).ToArray());
        return bytes.ToArray();
    }
}
