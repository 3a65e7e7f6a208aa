using System.Net;
using System.Net.Sockets;
using System.Text;

// Several threads of control, each blocking as ordinary programs do, before Main's first await
// and after it. Every line is written in an
// order the program itself fixes (a join or a wait before it), so the output is the same on every
// run, under dotnet run and as a NativeAOT image.

// A task's result, read synchronously; its body writes to the console from another thread.
int doubled = Task.Run(() =>
{
    Console.WriteLine("task: computing");
    return 21;
}).Result * 2;
Console.WriteLine("result: " + doubled);

// Wait on a task that sleeps.
Task.Run(() =>
{
    Thread.Sleep(10);
    Console.WriteLine("task: slept");
}).Wait();

// WhenAll over two tasks, then a continuation.
Task<int> left = Task.Run(() => 3);
Task<int> right = Task.Run(() => 4);
Task.WhenAll(left, right).Wait();
int sum = Task.WhenAll(left, right).ContinueWith(all => all.Result[0] + all.Result[1]).Result;
Console.WriteLine("when all: " + sum);

// The thread pool, and an event it sets.
using (var queued = new ManualResetEventSlim(false))
{
    string? seen = null;
    ThreadPool.QueueUserWorkItem(_ =>
    {
        seen = "work item ran";
        queued.Set();
    });
    queued.Wait();
    Console.WriteLine("pool: " + seen);
}

// Three work items counted down, each taking a one-slot semaphore around its kernel call.
using (var finished = new CountdownEvent(3))
using (var slot = new SemaphoreSlim(1))
{
    int calls = 0;
    for (int index = 0; index < 3; index++)
    {
        ThreadPool.QueueUserWorkItem(_ =>
        {
            slot.Wait();
            try
            {
                _ = DateTime.UtcNow;
                calls++;
            }
            finally
            {
                slot.Release();
            }
            finished.Signal();
        });
    }
    finished.Wait();
    Console.WriteLine("countdown: " + calls + " work items");
}

// Threads of its own, joined; a lock between them, each writing inside it.
object gate = new object();
int counter = 0;
var workers = new List<Thread>();
for (int index = 0; index < 4; index++)
{
    var worker = new Thread(() =>
    {
        for (int step = 0; step < 1000; step++)
        {
            lock (gate)
            {
                counter++;
                if (counter % 1000 == 0)
                {
                    Console.WriteLine("counter reached a thousand more");
                }
            }
        }
    });
    workers.Add(worker);
    worker.Start();
}
foreach (Thread worker in workers)
{
    worker.Join();
}
Console.WriteLine("threads: counter " + counter);

// A producer and a consumer with Monitor.Wait and Pulse.
var items = new Queue<int>();
int consumed = 0;
var consumer = new Thread(() =>
{
    for (int taken = 0; taken < 5; taken++)
    {
        int item;
        lock (items)
        {
            while (items.Count == 0)
            {
                Monitor.Wait(items);
            }
            item = items.Dequeue();
        }
        consumed += item;
    }
});
consumer.Start();
for (int item = 1; item <= 5; item++)
{
    lock (items)
    {
        items.Enqueue(item);
        Monitor.Pulse(items);
    }
}
consumer.Join();
Console.WriteLine("monitor: consumed " + consumed);

// Parallel.For with a per-iteration kernel call (the clock).
long total = 0;
Parallel.For(0, 100, i =>
{
    _ = DateTime.UtcNow;
    Interlocked.Add(ref total, i);
});
Console.WriteLine("parallel: " + total);

// A thread that accepts and reads a socket synchronously while the main thread connects and writes.
var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start();
int port = ((IPEndPoint)listener.LocalEndpoint).Port;
string? received = null;
var server = new Thread(() =>
{
    using Socket peer = listener.AcceptSocket();
    var buffer = new byte[64];
    var text = new StringBuilder();
    int count;
    while ((count = peer.Receive(buffer)) > 0)
    {
        text.Append(Encoding.UTF8.GetString(buffer, 0, count));
    }
    received = text.ToString();
    peer.Send(Encoding.UTF8.GetBytes("got " + received.Length + " bytes"));
});
server.Start();
using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
{
    client.Connect(IPAddress.Loopback, port);
    client.Send(Encoding.UTF8.GetBytes("hello from the main thread"));
    client.Shutdown(SocketShutdown.Send);
    var answer = new byte[64];
    int length = client.Receive(answer);
    server.Join();
    Console.WriteLine("socket: server read '" + received + "', client read '" + Encoding.UTF8.GetString(answer, 0, length) + "'");
}
listener.Stop();

// After an await, Main's code goes on from its continuation, still on Main's thread, and blocks
// again: on a task whose body sleeps, and on a lock that another thread holds while it writes.
int mainThread = Environment.CurrentManagedThreadId;
await Task.Delay(5);
Console.WriteLine("after an await: on Main's thread " + (Environment.CurrentManagedThreadId == mainThread));
int late = Task.Run(() =>
{
    Thread.Sleep(5);
    return 8;
}).Result;
using (var holding = new ManualResetEventSlim(false))
{
    var holder = new Thread(() =>
    {
        lock (gate)
        {
            holding.Set();
            Thread.Sleep(10);
            Console.WriteLine("holder: writing while it holds the lock");
        }
    });
    holder.Start();
    holding.Wait();
    lock (gate)
    {
        Console.WriteLine("continuation: took the lock after the holder, result " + late);
    }
    holder.Join();
}
Console.WriteLine("done");
