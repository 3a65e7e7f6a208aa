namespace Unikraft.Kernel;

// The socket layer on the kernel's own stack: new sockets are TCP sockets and UDP endpoints of
// the stack's transports, made on the first socket(2). A program with no <UnikraftNet> item gets
// the stack with loopback alone (127.0.0.0/8 and nothing else), so a client and a server in one
// program still talk.
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
        TcpStack tcp = new TcpStack(stack, kernel.Clock!, kernel.RandomDevice!, kernel.Scheduler);
        UdpLayer udp = new UdpLayer(kernel, stack);
        stack.Register(tcp);
        stack.Register(udp);
        StackSocketTransport transport = new StackSocketTransport(tcp, udp);
        kernel.SocketTransport = transport;
        return transport;
    }

    private readonly TcpStack tcp;
    private readonly UdpLayer udp;

    public StackSocketTransport(TcpStack tcp, UdpLayer udp)
    {
        this.tcp = tcp;
        this.udp = udp;
    }

    // The transports themselves, for their counters and tables.
    public TcpStack Tcp => tcp;

    public UdpLayer Udp => udp;

    public IStreamEndpoint? CreateStream() => new TcpStreamEndpoint(tcp.CreateSocket());

    public IDatagramEndpoint? CreateDatagram() => new UdpDatagramEndpoint(udp.Open());
}
