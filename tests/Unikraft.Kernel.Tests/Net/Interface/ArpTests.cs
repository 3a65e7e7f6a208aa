namespace Unikraft.Kernel.Tests.Net.Interface;

using System;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

public class ArpTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void RequestForOurAddress_IsAnsweredAsLinuxAnswered()
    {
        NetTestHost b = new NetTestHost(hostB: true);

        b.Device.Inject(CapturedFrames.ArpRequest);

        byte[] reply = b.Device.TakeOnly();
        // The same 42 bytes Linux sent, padded with zeros to Ethernet's 60-byte minimum.
        Assert.Equal(60, reply.Length);
        Assert.Equal(CapturedFrames.ArpReply, reply.AsSpan(0, 42).ToArray());
        Assert.All(reply.AsSpan(42).ToArray(), value => Assert.Equal(0, value));
        // RFC 826: the requester is learned, so the answer needs no request of its own.
        Assert.True(b.Interface.Arp.TryLookup(CapturedFrames.AddressA, b.Stack.Now, out MacAddress learned));
        Assert.Equal(CapturedFrames.MacA, learned);
    }

    // RFC 5227, 2.3: a broadcast request whose sender and target addresses are both the host's
    // own. The boot sends one as it brings an interface up (passt, like a switch, learns the
    // kernel's hardware address from it).
    [Fact]
    public void BootAttach_AnnouncesTheAddress_OnceAsRfc5227Says()
    {
        Kernel kernel = TestKernel.Boot(out _);
        CaptureDevice device = new CaptureDevice(CapturedFrames.MacA);

        NetBoot.Attach(kernel, "eth0", device, CapturedFrames.AddressA, 24, Ipv4Address.Any, new Ipv4Address[0]);

        byte[] frame = Assert.Single(device.Sent);
        Assert.Equal(60, frame.Length);
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.True(EthernetHeader.TryParse(ethernet, out EthernetHeader header));
        Assert.True(header.Destination.IsBroadcast);
        Assert.Equal(CapturedFrames.MacA, header.Source);
        Assert.Equal(EtherType.Arp, header.EtherType);
        Assert.True(ArpPacket.TryWrap(ethernet.Payload, out ArpPacket packet));
        Assert.True(ArpMessage.TryParse(packet, out ArpMessage message));
        Assert.Equal(ArpOperation.Request, message.Operation);
        Assert.Equal(CapturedFrames.MacA, message.SenderMac);
        Assert.Equal(CapturedFrames.AddressA, message.SenderAddress);
        Assert.Equal(CapturedFrames.AddressA, message.TargetAddress);
        Assert.Equal(new MacAddress(0), message.TargetMac);
        Assert.Equal(1, kernel.Net!.Counters.ArpAnnouncementsSent);
        Assert.Equal(0, kernel.Net.Counters.ArpRequestsSent);
    }

    [Fact]
    public void PaddedRequestFromArping_IsAnswered()
    {
        NetTestHost b = new NetTestHost(hostB: true);

        b.Device.Inject(CapturedFrames.ArpRequestFromArping);

        Assert.Equal(CapturedFrames.ArpReply, b.Device.TakeOnly().AsSpan(0, 42).ToArray());
    }

    [Fact]
    public void RequestForAnotherAddress_IsNotAnsweredNorLearned()
    {
        NetTestHost a = new NetTestHost(hostB: false);

        // A's own request, heard by A as if it were a third host: it asks for B, not for A.
        a.Device.Inject(CapturedFrames.ArpRequest);

        Assert.Empty(a.Device.Sent);
        Assert.Equal(0, a.Interface.Arp.Count);
    }

    [Fact]
    public void SendToUnresolvedAddress_AsksAsLinuxAsks_ThenSendsOnTheReply()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        byte[] payload = EchoPayload(7);

        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, payload));

        byte[] request = a.Device.TakeOnly();
        Assert.Equal(CapturedFrames.ArpRequest, request.AsSpan(0, 42).ToArray());

        a.Device.Inject(CapturedFrames.ArpReply);

        byte[] frame = a.Device.TakeOnly();
        Assert.True(EthernetFrame.TryWrap(frame, out EthernetFrame ethernet));
        Assert.Equal(CapturedFrames.MacB, ethernet.Destination);
        Assert.Equal(CapturedFrames.MacA, ethernet.Source);
        Assert.Equal(payload, NetTestHost.Ipv4Payload(frame));
        Assert.Equal(0, a.Interface.Arp.QueuedBytes);
        Assert.Equal(0, a.Stack.Pool.Outstanding);
    }

    [Fact]
    public void Retries_AreOneASecond_ThenGiveUpWithEHOSTUNREACH()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        byte[] payload = EchoPayload(1);

        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, payload));
        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, payload));
        // The second datagram waits behind the first request; no second request in the same second.
        Assert.Equal(1, a.Stack.Counters.ArpRequestsSent);

        a.Run(Second / 2);
        Assert.Equal(1, a.Stack.Counters.ArpRequestsSent);
        a.Run(Second);
        Assert.Equal(2, a.Stack.Counters.ArpRequestsSent);
        a.Run(Second);
        Assert.Equal(3, a.Stack.Counters.ArpRequestsSent);
        a.Run(Second);

        Assert.Equal(ArpCache.MaximumRequests, a.Stack.Counters.ArpRequestsSent);
        Assert.Equal(1, a.Stack.Counters.ArpGaveUp);
        Assert.Equal(2, a.Stack.Counters.ArpQueueDropped);
        Assert.Equal(0, a.Interface.Arp.QueuedBytes);
        Assert.Equal(0, a.Stack.Pool.Outstanding);
        Assert.Equal(-Errno.EHOSTUNREACH, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, payload));

        // After the hold, a new send starts a new round.
        a.Run(ArpCache.FailedHold);
        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, payload));
        Assert.Equal(ArpCache.MaximumRequests + 1, a.Stack.Counters.ArpRequestsSent);
    }

    [Fact]
    public void QueueWhileResolving_KeepsTheNewestThree()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        for (int index = 0; index < 5; index++)
        {
            Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, EchoPayload(index)));
        }
        a.Device.Sent.Clear();

        a.Device.Inject(CapturedFrames.ArpReply);

        Assert.Equal(ArpCache.MaximumQueuedPerAddress, a.Device.Sent.Count);
        for (int index = 0; index < 3; index++)
        {
            Assert.Equal(EchoPayload(index + 2), NetTestHost.Ipv4Payload(a.Device.Sent[index]));
        }
        Assert.Equal(2, a.Stack.Counters.ArpQueueDropped);
    }

    [Fact]
    public void ResolvedEntry_ExpiresAndIsAskedAgain()
    {
        NetTestHost a = new NetTestHost(hostB: false);
        a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, EchoPayload(1));
        a.Device.Inject(CapturedFrames.ArpReply);
        a.Device.Sent.Clear();

        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, EchoPayload(2)));
        Assert.Equal(EtherType.Ipv4, EtherTypeOf(a.Device.TakeOnly()));

        a.Platform.Clock.Advance(ArpCache.EntryLifetime);
        Assert.Equal(0, a.Stack.Send(a.Address, CapturedFrames.AddressB, IpProtocol.Icmp, EchoPayload(3)));
        Assert.Equal(EtherType.Arp, EtherTypeOf(a.Device.TakeOnly()));
    }

    [Fact]
    public void OffLinkDestination_ResolvesTheGateway()
    {
        NetTestHost a = new NetTestHost(hostB: false, gateway: CapturedFrames.AddressB);
        Ipv4Address faraway = new Ipv4Address(198, 19, 7, 7);

        Assert.Equal(0, a.Stack.Send(a.Address, faraway, IpProtocol.Icmp, EchoPayload(1)));
        Assert.Equal(CapturedFrames.ArpRequest, a.Device.TakeOnly().AsSpan(0, 42).ToArray());
        a.Device.Inject(CapturedFrames.ArpReply);

        byte[] frame = a.Device.TakeOnly();
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        Assert.Equal(CapturedFrames.MacB, ethernet.Destination);
        Assert.Equal(faraway, NetTestHost.Ipv4Of(frame).Destination);
    }

    [Fact]
    public void NoRoute_IsENETUNREACH()
    {
        NetTestHost a = new NetTestHost(hostB: false);

        Assert.Equal(-Errno.ENETUNREACH, a.Stack.Send(a.Address, new Ipv4Address(198, 19, 7, 7), IpProtocol.Icmp, EchoPayload(1)));
        Assert.False(a.Stack.TrySelectSource(new Ipv4Address(198, 19, 7, 7), out _));
        Assert.Empty(a.Device.Sent);
    }

    internal static byte[] EchoPayload(int sequence)
    {
        byte[] message = new byte[IcmpMessage.HeaderLength + 12];
        for (int index = IcmpMessage.HeaderLength; index < message.Length; index++)
        {
            message[index] = (byte)(sequence * 17 + index);
        }
        IcmpMessage.TryWrap(message, out IcmpMessage view);
        IcmpHeader.Echo(IcmpType.EchoRequest, 0x1234, (ushort)sequence).Emit(view);
        return message;
    }

    private static ushort EtherTypeOf(byte[] frame)
    {
        EthernetFrame.TryWrap(frame, out EthernetFrame ethernet);
        return ethernet.EtherType;
    }
}
