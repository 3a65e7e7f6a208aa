// A peer for Linux's own network programs, on the BCL's TcpListener, NetworkStream and UdpClient.
// Serves until GET /quit:
//   HTTP/1.1 on port 8080, "async" (each connection on its own task, ReadAsync and WriteAsync) or
//   "sync" (one connection after another, blocking Read and Write); a connection stays open for the
//   next request unless the request says "Connection: close", then the server closes first.
//     GET /bytes/N       N bytes of a deterministic stream (xorshift64, each word little-endian)
//     PUT|POST /sha256   the body's SHA-256 in hex
//     GET /abort         closes with SO_LINGER 0: the client sees a reset instead of an answer
//     GET /open          how many other connections the program holds open
//     GET /restart       answers, closes, stops the listener and listens again on the same port
//     GET /udp/PORT      a connected UdpClient sends to 198.18.0.1:PORT; answers what its receive saw
//     GET /quit          answers, then the program ends
//   A hash service on 7778 that reads until the client shuts its side, then answers the SHA-256.
//   A UDP echo on 7779.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

bool sync = args.Length > 0 && args[0] == "sync";
var server = new PeerServer(sync);
await server.Run();

internal sealed class PeerServer(bool sync)
{
    private const int HttpPort = 8080;

    private readonly TaskCompletionSource quit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Replaced on /restart, and only by a listener that already listens: the accept loop may take
    // it up at any moment.
    private volatile TcpListener listener = new(IPAddress.Any, HttpPort);

    private volatile bool restarting;

    private int open;

    private int served;

    public async Task Run()
    {
        listener.Start();
        var hash = new TcpListener(IPAddress.Any, 7778);
        hash.Start();
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Any, 7779));
        _ = Task.Run(() => HashService(hash));
        _ = Task.Run(() => Echo(echo));
        Console.WriteLine("listening on " + listener.LocalEndpoint);
        if (sync)
        {
            while (!quit.Task.IsCompleted)
            {
                TcpClient client;
                try
                {
                    client = listener.AcceptTcpClient();
                }
                catch (SocketException) when (quit.Task.IsCompleted)
                {
                    break;
                }
                await Serve(client);
            }
        }
        else
        {
            _ = Task.Run(AcceptLoop);
            await quit.Task;
        }
        hash.Stop();
        Console.WriteLine("served " + served + " connections");
    }

    private async Task AcceptLoop()
    {
        while (!quit.Task.IsCompleted)
        {
            TcpListener current = listener;
            TcpClient client;
            try
            {
                client = await current.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Stopped for the end, or for a restart: the next turn takes the new listener once
                // the restart has it listening (the old one may stop before the new one is set).
                while (restarting && !quit.Task.IsCompleted)
                {
                    await Task.Delay(10);
                }
                continue;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        Interlocked.Increment(ref open);
        Interlocked.Increment(ref served);
        string? after = null;
        try
        {
            using (client)
            {
                var connection = new HttpConnection(client.GetStream(), sync);
                while (await connection.ReadLine() is string requestLine)
                {
                    if (requestLine.Length == 0)
                    {
                        continue;
                    }
                    string[] parts = requestLine.Split(' ');
                    long length = 0;
                    bool close = false;
                    bool expectContinue = false;
                    while (await connection.ReadLine() is string header && header.Length > 0)
                    {
                        int colon = header.IndexOf(':');
                        string name = header[..colon].Trim().ToLowerInvariant();
                        string value = header[(colon + 1)..].Trim();
                        if (name == "content-length")
                        {
                            length = long.Parse(value);
                        }
                        else if (name == "connection")
                        {
                            close = value.Equals("close", StringComparison.OrdinalIgnoreCase);
                        }
                        else if (name == "expect")
                        {
                            expectContinue = value.Equals("100-continue", StringComparison.OrdinalIgnoreCase);
                        }
                    }
                    string method = parts[0];
                    // A query string only makes URLs distinct (curl's globbing); it is not read.
                    string path = parts[1].Split('?')[0];
                    if (path.StartsWith("/bytes/", StringComparison.Ordinal))
                    {
                        long count = long.Parse(path["/bytes/".Length..]);
                        await SendBytes(connection, Head(count, close), count);
                    }
                    else if (path == "/sha256" && (method == "PUT" || method == "POST"))
                    {
                        if (expectContinue)
                        {
                            await connection.Write(Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n"));
                        }
                        string digest = await HashBody(connection, length);
                        await Answer(connection, digest, close);
                    }
                    else if (path == "/abort")
                    {
                        // SO_LINGER 0 and close, before the NetworkStream's own close shuts
                        // the sending side down with a FIN first.
                        client.Client.LingerState = new LingerOption(true, 0);
                        client.Client.Close();
                        break;
                    }
                    else if (path == "/open")
                    {
                        await Answer(connection, (Volatile.Read(ref open) - 1).ToString(), close);
                    }
                    else if (path == "/restart" || path == "/quit")
                    {
                        await Answer(connection, path[1..], close: true);
                        after = path;
                        break;
                    }
                    else if (path.StartsWith("/udp/", StringComparison.Ordinal))
                    {
                        await Answer(connection, await UdpProbe(int.Parse(path["/udp/".Length..])), close);
                    }
                    else
                    {
                        await connection.Write(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
                    }
                    if (close)
                    {
                        break;
                    }
                }
            }
        }
        catch (IOException exception)
        {
            Console.Error.WriteLine("connection failed: " + exception.Message);
        }
        catch (Exception exception) when (exception is FormatException or IndexOutOfRangeException or ArgumentException)
        {
            Console.Error.WriteLine("bad request: " + exception.Message);
        }
        finally
        {
            Interlocked.Decrement(ref open);
        }
        if (after == "/restart")
        {
            // The connections this server closed first are in TIME-WAIT now; SO_REUSEADDR, which
            // the BCL sets on every TCP socket it binds, lets the new listener have the port.
            TcpListener old = listener;
            var fresh = new TcpListener(IPAddress.Any, HttpPort);
            restarting = true;
            old.Stop();
            fresh.Start();
            listener = fresh;
            restarting = false;
            Console.WriteLine("listening again on " + fresh.LocalEndpoint);
        }
        else if (after == "/quit")
        {
            quit.TrySetResult();
            listener.Stop();
        }
    }

    private async Task<string> UdpProbe(int port)
    {
        using var udp = new UdpClient();
        udp.Connect(IPAddress.Parse("198.18.0.1"), port);
        byte[] probe = Encoding.ASCII.GetBytes("probe\n");
        try
        {
            if (sync)
            {
                udp.Send(probe, probe.Length);
                udp.Client.ReceiveTimeout = 5000;
                IPEndPoint? from = null;
                byte[] reply = udp.Receive(ref from);
                return "received " + Encoding.ASCII.GetString(reply).TrimEnd();
            }
            await udp.SendAsync(probe);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            UdpReceiveResult result = await udp.ReceiveAsync(timeout.Token);
            return "received " + Encoding.ASCII.GetString(result.Buffer).TrimEnd();
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode.ToString();
        }
        catch (OperationCanceledException)
        {
            return "TimedOut";
        }
    }

    private static byte[] Head(long length, bool close)
    {
        return Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n" +
            (close ? "Connection: close\r\n" : "") + "\r\n");
    }

    // A short answer goes out in one write: a second small write would wait for the ACK of the
    // first (Nagle), and the client delays that ACK.
    private static async Task Answer(HttpConnection connection, string text, bool close)
    {
        byte[] body = Encoding.ASCII.GetBytes(text + "\n");
        await connection.Write((byte[])[.. Head(body.Length, close), .. body]);
    }

    // The head goes out with the first chunk, in one write.
    private static async Task SendBytes(HttpConnection connection, byte[] head, long count)
    {
        byte[] chunk = new byte[65536];
        if (count == 0)
        {
            await connection.Write(head);
        }
        ulong state = 0x9E3779B97F4A7C15UL;
        for (long sent = 0; sent < count;)
        {
            for (int i = 0; i < chunk.Length; i += 8)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                BitConverter.TryWriteBytes(chunk.AsSpan(i), state);
            }
            int length = (int)Math.Min(chunk.Length, count - sent);
            if (sent == 0)
            {
                await connection.Write((byte[])[.. head, .. chunk.AsSpan(0, length)]);
            }
            else
            {
                await connection.Write(chunk.AsMemory(0, length));
            }
            sent += length;
        }
    }

    private static async Task<string> HashBody(HttpConnection connection, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[65536];
        while (length > 0)
        {
            int read = await connection.Read(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)));
            if (read == 0)
            {
                throw new IOException("the body ended " + length + " bytes early");
            }
            hash.AppendData(buffer, 0, read);
            length -= read;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task HashService(TcpListener hashListener)
    {
        while (!quit.Task.IsCompleted)
        {
            TcpClient client;
            try
            {
                client = await hashListener.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                NetworkStream stream = client.GetStream();
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] buffer = new byte[65536];
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
                // The client has shut its side; this side still sends.
                await stream.WriteAsync(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash.GetHashAndReset()) + "\n"));
            }
        }
    }

    private static async Task Echo(UdpClient udp)
    {
        while (true)
        {
            UdpReceiveResult datagram = await udp.ReceiveAsync();
            await udp.SendAsync(datagram.Buffer, datagram.RemoteEndPoint);
        }
    }
}

// One HTTP connection's buffered reads and writes, through the blocking or the asynchronous calls.
internal sealed class HttpConnection(NetworkStream stream, bool sync)
{
    private readonly byte[] buffer = new byte[16384];

    private int start;

    private int end;

    public async Task<string?> ReadLine()
    {
        while (true)
        {
            int newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                string line = Encoding.ASCII.GetString(buffer, start, newline - start).TrimEnd('\r');
                start = newline + 1;
                return line;
            }
            if (start > 0)
            {
                Array.Copy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                throw new IOException("a header line longer than " + buffer.Length + " bytes");
            }
            int read = await ReadStream(buffer.AsMemory(end));
            if (read == 0)
            {
                return null;
            }
            end += read;
        }
    }

    public async Task<int> Read(Memory<byte> into)
    {
        if (start < end)
        {
            int count = Math.Min(into.Length, end - start);
            buffer.AsMemory(start, count).CopyTo(into);
            start += count;
            return count;
        }
        return await ReadStream(into);
    }

    public async Task Write(ReadOnlyMemory<byte> data)
    {
        if (sync)
        {
            stream.Write(data.Span);
        }
        else
        {
            await stream.WriteAsync(data);
        }
    }

    private async Task<int> ReadStream(Memory<byte> into)
    {
        if (sync)
        {
            return stream.Read(into.Span);
        }
        return await stream.ReadAsync(into);
    }
}
