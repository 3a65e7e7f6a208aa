namespace Unikraft.Kernel.Tests.Net.Tcp;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Xunit;

// The stack inside a kernel: datagrams arrive as scheduler work (as a device's interrupt would
// bring them), the stack arms the scheduler's timers itself, and a caller that wants to block
// waits on a socket's WaitQueue with its own deadline while the kernel runs on.
public class TcpBlockingTests
{
    private const long Second = TcpPair.Second;

    [Fact]
    public void BlockingCaller_WaitsOnTheSocket_WhileTheStacksOwnTimerRetransmits()
    {
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        ScheduledNetwork network = new ScheduledNetwork(kernel.Scheduler);
        TcpStack serverStack = network.Add(TcpPair.ServerAddress, new TcpStack(network.OutputFor(TcpPair.ServerAddress), platform.Clock, new SeededRandomDevice(1), kernel.Scheduler));
        TcpStack clientStack = network.Add(TcpPair.ClientAddress, new TcpStack(network.OutputFor(TcpPair.ClientAddress), platform.Clock, new SeededRandomDevice(2), kernel.Scheduler));
        TcpSocket listener = serverStack.CreateSocket();
        Assert.Equal(0, listener.Listen(4));
        ushort port = listener.LocalPort;
        network.DropFirstSyn = true;

        long start = platform.Clock.MonotonicNanoseconds;
        long deadline = start + 30 * Second;
        TcpSocket client = clientStack.CreateSocket();
        Assert.Equal(-Errno.EINPROGRESS, client.Connect(TcpPair.ServerAddress, port));
        while ((client.Poll() & PollEvents.POLLOUT) == 0)
        {
            Assert.True(client.Waiters!.Wait(deadline));
        }
        Assert.Equal(TcpState.Established, client.State);
        // The first SYN was lost: only the stack's own retransmission timer could get it through.
        Assert.True(platform.Clock.MonotonicNanoseconds - start >= TcpRetransmitTimer.InitialTimeout);

        TcpSocket? server;
        while (listener.Accept(out server) == -Errno.EAGAIN)
        {
            Assert.True(listener.Waiters!.Wait(deadline));
        }
        byte[] message = System.Text.Encoding.ASCII.GetBytes("hello over a blocking read");
        Assert.Equal(message.Length, client.Send(message));
        byte[] buffer = new byte[100];
        long read;
        while ((read = server!.Receive(buffer)) == -Errno.EAGAIN)
        {
            Assert.True(server.Waiters!.Wait(deadline));
        }
        Assert.Equal(message, buffer.AsSpan(0, (int)read).ToArray());

        // A read with nothing coming ends at the caller's deadline, not inside the stack.
        long before = platform.Clock.MonotonicNanoseconds;
        Assert.False(server.Waiters!.Wait(before + 2 * Second));
        Assert.Equal(-Errno.EAGAIN, server.Receive(buffer));
    }

    // Delivers each datagram as a work item of the kernel's scheduler.
    private sealed class ScheduledNetwork
    {
        private readonly Scheduler scheduler;
        private readonly Dictionary<Ipv4Address, TcpStack> hosts = new Dictionary<Ipv4Address, TcpStack>();

        public ScheduledNetwork(Scheduler scheduler)
        {
            this.scheduler = scheduler;
        }

        public bool DropFirstSyn { get; set; }

        public TcpStack Add(Ipv4Address address, TcpStack stack)
        {
            hosts[address] = stack;
            return stack;
        }

        public IIpv4Output OutputFor(Ipv4Address address) => new Output(this, address);

        private void Send(Ipv4Address source, Ipv4Address destination, byte[] bytes)
        {
            if (DropFirstSyn && (bytes[13] & TcpFlags.Syn) != 0)
            {
                DropFirstSyn = false;
                return;
            }
            scheduler.Spawn(_ => hosts[destination].Receive(source, destination, bytes), null);
        }

        private sealed class Output : IIpv4Output
        {
            private readonly ScheduledNetwork network;
            private readonly Ipv4Address address;

            public Output(ScheduledNetwork network, Ipv4Address address)
            {
                this.network = network;
                this.address = address;
            }

            public int Send(Ipv4Address source, Ipv4Address destination, byte protocol, ReadOnlySpan<byte> payload)
            {
                network.Send(source, destination, payload.ToArray());
                return 0;
            }

            public bool TrySelectSource(Ipv4Address destination, out Ipv4Address source)
            {
                source = address;
                return true;
            }

            public int MaximumPayloadTo(Ipv4Address destination) => 1480;

            public int SegmentOffloadTo(Ipv4Address destination) => 0;

            public int SendTcpOffloaded(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> segment, int segmentSize) => -Errno.EMSGSIZE;
        }
    }
}
