namespace Unikraft.Kernel.Tests.Net.Wire;

using System;
using Unikraft.Kernel;
using Xunit;

public class EthernetArpTests
{
    [Fact]
    public void CapturedArpRequest_ParsesItsFields()
    {
        byte[] bytes = (byte[])CapturedFrames.ArpRequest.Clone();
        Assert.True(EthernetFrame.TryWrap(bytes, out EthernetFrame frame));
        Assert.True(EthernetHeader.TryParse(frame, out EthernetHeader ethernet));
        Assert.Equal(new EthernetHeader(MacAddress.Broadcast, CapturedFrames.MacA, EtherType.Arp), ethernet);
        Assert.True(ArpPacket.TryWrap(frame.Payload, out ArpPacket packet));
        Assert.True(ArpMessage.TryParse(packet, out ArpMessage arp));
        Assert.Equal(new ArpMessage(ArpOperation.Request, CapturedFrames.MacA, CapturedFrames.AddressA, new MacAddress(0),
            CapturedFrames.AddressB), arp);
    }

    [Fact]
    public void CapturedArpReply_ParsesItsFields()
    {
        byte[] bytes = (byte[])CapturedFrames.ArpReply.Clone();
        Assert.True(EthernetFrame.TryWrap(bytes, out EthernetFrame frame));
        Assert.Equal(CapturedFrames.MacA, frame.Destination);
        Assert.Equal(CapturedFrames.MacB, frame.Source);
        Assert.True(ArpPacket.TryWrap(frame.Payload, out ArpPacket packet));
        Assert.True(ArpMessage.TryParse(packet, out ArpMessage arp));
        Assert.Equal(ArpOperation.Reply, arp.Operation);
        Assert.Equal(CapturedFrames.MacB, arp.SenderMac);
        Assert.Equal(CapturedFrames.AddressB, arp.SenderAddress);
        Assert.Equal(CapturedFrames.MacA, arp.TargetMac);
        Assert.Equal(CapturedFrames.AddressA, arp.TargetAddress);
    }

    [Theory]
    [InlineData(nameof(CapturedFrames.ArpRequest))]
    [InlineData(nameof(CapturedFrames.ArpReply))]
    public void EmitOfTheParsedArp_WritesTheCapturedBytes(string name)
    {
        byte[] captured = Frame(name);
        byte[] copy = (byte[])captured.Clone();
        EthernetFrame.TryWrap(copy, out EthernetFrame parsedFrame);
        EthernetHeader.TryParse(parsedFrame, out EthernetHeader ethernet);
        ArpPacket.TryWrap(parsedFrame.Payload, out ArpPacket parsedPacket);
        ArpMessage.TryParse(parsedPacket, out ArpMessage arp);

        byte[] emitted = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        Assert.True(EthernetFrame.TryWrap(emitted, out EthernetFrame frame));
        ethernet.Emit(frame);
        Assert.True(ArpPacket.TryWrap(frame.Payload, out ArpPacket packet));
        arp.Emit(packet);

        Assert.Equal(captured, emitted);
    }

    [Fact]
    public void PaddedArpFromArping_ParsesTheSameMessage()
    {
        byte[] padded = (byte[])CapturedFrames.ArpRequestFromArping.Clone();
        EthernetFrame.TryWrap(padded, out EthernetFrame frame);
        Assert.True(ArpPacket.TryWrap(frame.Payload, out ArpPacket packet));
        Assert.Equal(ArpPacket.Length, packet.Bytes.Length);
        Assert.True(ArpMessage.TryParse(packet, out ArpMessage arp));
        Assert.Equal(CapturedFrames.AddressB, arp.TargetAddress);
    }

    [Fact]
    public void TruncatedFrames_DoNotWrap()
    {
        for (int length = 0; length < CapturedFrames.ArpRequest.Length; length++)
        {
            byte[] bytes = CapturedFrames.ArpRequest.AsSpan(0, length).ToArray();
            bool wrapped = EthernetFrame.TryWrap(bytes, out EthernetFrame frame);
            Assert.Equal(length >= EthernetFrame.HeaderLength, wrapped);
            if (wrapped)
            {
                Assert.False(ArpPacket.TryWrap(frame.Payload, out _));
            }
        }
    }

    [Theory]
    [InlineData(15, 0x00)] // hardware type 0x0001 -> 0x0000
    [InlineData(16, 0x86)] // protocol type IPv4 -> 0x8600
    [InlineData(18, 0x08)] // hardware length 6 -> 8
    [InlineData(19, 0x10)] // protocol length 4 -> 16
    [InlineData(21, 0x09)] // operation 1 -> 9
    public void ArpOfAnotherKind_DoesNotParse(int offset, byte value)
    {
        byte[] bytes = (byte[])CapturedFrames.ArpRequest.Clone();
        bytes[offset] = value;
        EthernetFrame.TryWrap(bytes, out EthernetFrame frame);
        Assert.True(ArpPacket.TryWrap(frame.Payload, out ArpPacket packet));
        Assert.False(ArpMessage.TryParse(packet, out _));
    }

    [Fact]
    public void Ieee8023LengthInTheTypeField_DoesNotParse()
    {
        byte[] bytes = (byte[])CapturedFrames.ArpRequest.Clone();
        bytes[12] = 0x05;
        bytes[13] = 0xDC;
        EthernetFrame.TryWrap(bytes, out EthernetFrame frame);
        Assert.False(EthernetHeader.TryParse(frame, out _));
    }

    internal static byte[] Frame(string name)
    {
        return (byte[])typeof(CapturedFrames).GetField(name)!.GetValue(null)!;
    }
}
