namespace Unikraft.Kernel;

// The socket layer on the kernel's own stack: new sockets are TCP sockets and UDP endpoints of
// the stack's transports, made on the first socket(2). A program with no <UnikraftNet> item gets
// the stack with loopback alone (127.0.0.0/8 and nothing else), so a client and a server in one
// program still talk. Each transport is here only when the program may make sockets of its kind
// (KernelFeatures.Tcp, KernelFeatures.Udp): a UDP-only program has no TCP in its kernel, and its
// socket(SOCK_STREAM) answers EPROTONOSUPPORT.
internal sealed class StackSocketTransport : ISocketTransport
{
    public static ISocketTransport Attach(Kernel kernel)
    {
        // TCP's timers run on the kernel's clock and its initial sequence numbers come from the
        // random device; their boot steps have run when the program makes its first socket, and
        // naming them here keeps them in the image.
        if (kernel.Clock == null)
        {
            ClockBoot.AttachClock(kernel);
        }
        if (kernel.RandomDevice == null)
        {
            RandomBoot.AttachRandom(kernel);
        }
        NetStack stack = kernel.Net ??= new NetStack(kernel);
        StackSocketTransport transport = new StackSocketTransport();
        if (KernelFeatures.Tcp)
        {
            transport.tcp = new TcpStack(stack, kernel.Clock!, kernel.RandomDevice!, kernel.Scheduler);
            stack.Register(transport.tcp);
            transport.tcp.HostLoopback = stack.HostLoopback;
            TcpStack tcp = transport.tcp;
            kernel.AtExit(() =>
            {
                int undelivered = tcp.DeliverAtExit();
                if (undelivered > 0)
                {
                    kernel.Log.Write("[uk] exit: " + undelivered.ToString(System.Globalization.CultureInfo.InvariantCulture) +
                        " TCP connection(s) ended with data or a FIN the peer had not acknowledged");
                }
            });
        }
        if (KernelFeatures.Udp)
        {
            transport.udp = UdpLayer.For(kernel, stack);
        }
        kernel.SocketTransport = transport;
        return transport;
    }

    private TcpStack? tcp;
    private UdpLayer? udp;

    private StackSocketTransport()
    {
    }

    // For tests and the simulator, which make the transports themselves.
    public StackSocketTransport(TcpStack tcp, UdpLayer udp)
    {
        this.tcp = tcp;
        this.udp = udp;
    }

    // The transports themselves, for their counters and tables.
    public TcpStack Tcp => tcp!;

    public UdpLayer Udp => udp!;

    public IStreamEndpoint? CreateStream()
    {
        if (KernelFeatures.Tcp)
        {
            return new TcpStreamEndpoint(tcp!.CreateSocket());
        }
        return null;
    }

    public IDatagramEndpoint? CreateDatagram()
    {
        if (KernelFeatures.Udp)
        {
            return new UdpDatagramEndpoint(udp!.Open());
        }
        return null;
    }

    public bool HasIpv6 => KernelFeatures.Ipv6 && (KernelFeatures.Udp || KernelFeatures.Tcp);

    public IStreamEndpoint6? CreateStream6()
    {
        // NOTE: one feature per method, as CreateDatagram6.
        if (KernelFeatures.Ipv6)
        {
            return Stream6();
        }
        return null;
    }

    private IStreamEndpoint6? Stream6()
    {
        if (KernelFeatures.Tcp)
        {
            return new TcpStreamEndpoint(tcp!.CreateSocket6());
        }
        return null;
    }

    public IDatagramEndpoint6? CreateDatagram6()
    {
        // NOTE: one feature per method: the generator takes out an if on a feature the kernel
        // lacks, but not one nested in another.
        if (KernelFeatures.Ipv6)
        {
            return Datagram6();
        }
        return null;
    }

    private IDatagramEndpoint6? Datagram6()
    {
        if (KernelFeatures.Udp)
        {
            return new UdpDatagramEndpoint(udp!.Open6());
        }
        return null;
    }
}
