// One data stream of a test: a TCP connection that the client opened and that sent the test's
// cookie. A receiving stream reads blocks and counts the bytes that arrive while the test runs
// (iperf_tcp.c counts only in TEST_RUNNING); a sending stream writes blocks of random bytes (or
// iperf3's repeating pattern) until the test ends, paced to the client's bit rate if it set one,
// and counts every byte a completed write took.
using System.Diagnostics;
using System.Net.Sockets;

internal sealed class DataStream
{
    private readonly Socket socket;

    private readonly TestParameters parameters;

    private long bytes;

    private long omittedBytes;

    private long startTimestamp;

    private long endTimestamp;

    public DataStream(int id, Socket socket, bool sender, TestParameters parameters)
    {
        Id = id;
        this.socket = socket;
        Sender = sender;
        this.parameters = parameters;
    }

    // NOTE: iperf3 numbers its streams 1, 3, 4, 5, ... in the order they connect
    // (iperf_api.c, iperf_add_stream); the results are matched by these numbers.
    public int Id { get; }

    public bool Sender { get; }

    public Task Run(Func<bool> running)
    {
        startTimestamp = Stopwatch.GetTimestamp();
        return Sender ? SendAsync(running) : ReceiveAsync(running);
    }

    // The bytes this stream moved for the results: a sender's since the omitted seconds ended, a
    // receiver's counted from then.
    public long Bytes => Sender ? Interlocked.Read(ref bytes) - Interlocked.Read(ref omittedBytes) : Interlocked.Read(ref bytes);

    public double Seconds => Stopwatch.GetElapsedTime(startTimestamp, endTimestamp == 0 ? Stopwatch.GetTimestamp() : endTimestamp).TotalSeconds;

    // The end of the omitted seconds (-O): the counts start again from here.
    public void EndOmit()
    {
        if (Sender)
        {
            Interlocked.Exchange(ref omittedBytes, Interlocked.Read(ref bytes));
        }
        else
        {
            Interlocked.Exchange(ref bytes, 0);
        }
        startTimestamp = Stopwatch.GetTimestamp();
    }

    public void MarkEnd()
    {
        endTimestamp = Stopwatch.GetTimestamp();
    }

    public void Close()
    {
        socket.Dispose();
    }

    private async Task ReceiveAsync(Func<bool> running)
    {
        byte[] buffer = new byte[parameters.BlockSize];
        try
        {
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }
                if (running())
                {
                    Interlocked.Add(ref bytes, read);
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The test closed the stream, or the client did.
        }
    }

    private async Task SendAsync(Func<bool> running)
    {
        byte[] block = new byte[parameters.BlockSize];
        if (parameters.RepeatingPayload)
        {
            // NOTE: iperf3's --repeating-payload fills the buffer with "0123456789" over and over
            // (iperf_util.c, fill_with_repeating_pattern).
            for (int i = 0; i < block.Length; i++)
            {
                block[i] = (byte)('0' + (i % 10));
            }
        }
        else
        {
            Random.Shared.NextBytes(block);
        }
        try
        {
            while (running())
            {
                if (parameters.Rate > 0 && AheadOfRate())
                {
                    await Task.Delay(1);
                    continue;
                }
                await socket.SendAsync(block, SocketFlags.None);
                Interlocked.Add(ref bytes, block.Length);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The client closed the stream, or the test ended it.
        }
    }

    // Whether this stream has sent more than the client's bit rate allows so far (iperf3 checks
    // the same after each write: iperf_api.c, iperf_check_throttle).
    private bool AheadOfRate()
    {
        double seconds = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
        return seconds > 0 && (Interlocked.Read(ref bytes) - Interlocked.Read(ref omittedBytes)) * 8 / seconds > parameters.Rate;
    }
}
