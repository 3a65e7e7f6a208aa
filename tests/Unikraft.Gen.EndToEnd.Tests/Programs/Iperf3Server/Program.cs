// An iperf3 server (TCP tests) on the BCL's TcpListener, Socket and NetworkStream, for Linux's
// own `iperf3 -c` as its client: normal, reverse (-R) and bidirectional (--bidir) tests with one
// or more parallel streams (-P), one test after another, as `iperf3 -s` serves them. What it does
// not serve (UDP, SCTP, -M, -Z or --fq-rate when it sends) it refuses as iperf3 refuses, with
// iperf3's own error number, which the client prints.
//   Iperf3Server [port]   (5201 unless given)
// It says "listening on ..." once it listens, a line per step of each test, and ends when its
// standard input closes or on SIGTERM.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5201;
var stop = new CancellationTokenSource();
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
var input = new Thread(() =>
{
    while (Console.ReadLine() is not null)
    {
    }
    stop.Cancel();
})
{
    IsBackground = true,
    Name = "stdin",
};
input.Start();

var listener = new TcpListener(IPAddress.Any, port);
listener.Start();
Console.WriteLine("listening on " + listener.LocalEndpoint);
TestSession? current = null;
Task running = Task.CompletedTask;
int tests = 0;
while (!stop.IsCancellationRequested)
{
    Socket socket;
    try
    {
        socket = await listener.AcceptSocketAsync(stop.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }
    catch (SocketException exception)
    {
        Console.WriteLine("accept failed: " + exception.Message);
        continue;
    }
    if (current is null || current.Finished)
    {
        // A new test: this connection is its control connection.
        tests++;
        current = new TestSession(tests, socket, stop.Token);
        running = current.RunAsync();
    }
    else if (current.AcceptingStreams)
    {
        await current.OfferAsync(socket);
    }
    else
    {
        // As iperf3: one test at a time; the server is busy.
        _ = Iperf3.DenyAsync(socket);
    }
}
listener.Stop();
await running;
Console.WriteLine("stopped after " + tests + " test(s)");
