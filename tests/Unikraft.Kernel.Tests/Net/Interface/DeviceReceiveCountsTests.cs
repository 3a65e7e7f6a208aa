namespace Unikraft.Kernel.Tests.Net.Interface;

using System.Linq;
using Unikraft.Kernel;
using Unikraft.Kernel.Tests.Net.Wire;
using Xunit;

// What a device lost or held back before the stack saw it reaches the stack's counters and the
// kernel log, at most one line every 10 seconds.
public class DeviceReceiveCountsTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void DeviceDropsAndHeldBackQueue_AreCounted_AndLoggedAtARateLimit()
    {
        NetTestHost b = new NetTestHost(hostB: true);
        b.Device.ReceiveDropped = 5;
        b.Device.ReceiveHeldBack = 2;

        b.Device.Inject(CapturedFrames.ArpRequest);

        Assert.Equal(5, b.Stack.Counters.DeviceReceiveDropped);
        Assert.Equal(2, b.Stack.Counters.DeviceReceiveHeldBack);
        string line = Assert.Single(Trouble(b));
        Assert.Equal("[uk] net eth0: the kernel did not keep up with received frames: the device dropped 5 and held back its receive queue 2 times since the last report", line);

        // More trouble within 10 s is counted, not logged ...
        b.Device.ReceiveDropped = 8;
        b.Device.ReceiveHeldBack = 3;
        b.Device.Inject(CapturedFrames.ArpRequest);
        Assert.Equal(8, b.Stack.Counters.DeviceReceiveDropped);
        Assert.Equal(3, b.Stack.Counters.DeviceReceiveHeldBack);
        Assert.Single(Trouble(b));

        // ... nor is a drain without any; after 10 s the next trouble is, with all since the last line.
        b.Run(11 * Second);
        b.Device.Inject(CapturedFrames.ArpRequest);
        Assert.Single(Trouble(b));
        b.Device.ReceiveHeldBack = 4;
        b.Device.Inject(CapturedFrames.ArpRequest);
        Assert.Equal(2, Trouble(b).Length);
        Assert.EndsWith("dropped 3 and held back its receive queue 2 times since the last report", Trouble(b)[1]);
        Assert.Equal(4, b.Stack.Counters.DeviceReceiveHeldBack);
    }

    private static string[] Trouble(NetTestHost host) =>
        host.Platform.Log.Where(line => line.Contains("did not keep up", System.StringComparison.Ordinal)).ToArray();
}
