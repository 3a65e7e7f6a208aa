// One iperf3 test, from the control connection's cookie to IPERF_DONE, in the order of iperf3's
// own server (iperf_server_api.c, iperf_run_server): PARAM_EXCHANGE and the client's parameters;
// CREATE_STREAMS and the streams connecting with the cookie; TEST_START and TEST_RUNNING; then the
// client's TEST_END, EXCHANGE_RESULTS (the client's results in, ours out) and DISPLAY_RESULTS; the
// client ends with IPERF_DONE. A test the server cannot run is refused with SERVER_ERROR; a client
// that goes away, or a test that runs far past its time, ends the test and only the test.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

internal sealed class TestSession
{
    // NOTE: iperf3's server gives a timed test its duration plus 40 s (max_rtt 4 s times 10 state
    // transitions, iperf_server_api.c, create_server_timers) before it ends it.
    private const int GraceSeconds = 40;

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan StreamsTimeout = TimeSpan.FromSeconds(30);

    private readonly int number;

    private readonly Socket control;

    private readonly NetworkStream controlStream;

    private readonly CancellationToken stop;

    private readonly byte[] cookie = new byte[Iperf3.CookieLength];

    private readonly List<DataStream> streams = [];

    private readonly TaskCompletionSource streamsConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestParameters? parameters;

    private volatile bool acceptingStreams;

    private volatile bool running;

    private volatile bool finished;

    private bool started;

    public TestSession(int number, Socket control, CancellationToken stop)
    {
        this.number = number;
        this.control = control;
        this.stop = stop;
        controlStream = new NetworkStream(control, ownsSocket: false);
    }

    // Between CREATE_STREAMS and the last stream: a new connection is one of this test's streams.
    public bool AcceptingStreams => acceptingStreams;

    public bool Finished => finished;

    public async Task RunAsync()
    {
        try
        {
            await RunTestAsync();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Log("ended: the server is stopping");
            if (started)
            {
                // As iperf3's server on SIGTERM: the client prints what it has and stops.
                await TrySendAsync(Iperf3.State.ServerTerminate);
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Log("ended: " + exception.Message);
        }
        finally
        {
            acceptingStreams = false;
            running = false;
            foreach (DataStream stream in streams)
            {
                stream.Close();
            }
            controlStream.Dispose();
            control.Dispose();
            finished = true;
        }
    }

    // A connection that arrived while this test expects its streams: it is one if it sends the
    // test's cookie; otherwise it is told the server is busy, as iperf3's iperf_tcp_accept does.
    // The accept loop offers connections one at a time, in the order they connected, which is the
    // order of the streams' numbers on both sides.
    public async Task OfferAsync(Socket socket)
    {
        byte[] theirs = new byte[Iperf3.CookieLength];
        bool read;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(HandshakeTimeout);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            read = await Iperf3.TryReadExactlyAsync(stream, theirs, timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
        {
            read = false;
        }
        TestParameters? test = parameters;
        if (!read || !acceptingStreams || test is null || !theirs.AsSpan().SequenceEqual(cookie))
        {
            await Iperf3.DenyAsync(socket);
            return;
        }
        int index = streams.Count;
        try
        {
            if (test.NoDelay)
            {
                socket.NoDelay = true;
            }
            if (test.Window > 0)
            {
                socket.ReceiveBufferSize = (int)test.Window;
                socket.SendBufferSize = (int)test.Window;
            }
        }
        catch (SocketException exception)
        {
            Log("stream " + (index + 1) + ": a socket option the client asked for failed: " + exception.Message);
        }
        streams.Add(new DataStream(index == 0 ? 1 : index + 2, socket, sender: index >= test.ReceivingStreams, test));
        if (streams.Count == test.ReceivingStreams + test.SendingStreams)
        {
            acceptingStreams = false;
            streamsConnected.TrySetResult();
        }
    }

    private async Task RunTestAsync()
    {
        try
        {
            control.NoDelay = true;
        }
        catch (SocketException)
        {
            // Only the control messages' latency suffers.
        }
        using (var handshake = Timeout(HandshakeTimeout))
        {
            if (!await Iperf3.TryReadExactlyAsync(controlStream, cookie, handshake.Token))
            {
                Log("the client closed its control connection before its cookie");
                return;
            }
        }
        Log("control connection from " + control.RemoteEndPoint);
        started = true;
        await Send(Iperf3.State.ParamExchange);
        TestParameters test;
        using (var handshake = Timeout(HandshakeTimeout))
        using (JsonDocument? json = await Iperf3.ReadJsonAsync(controlStream, handshake.Token))
        {
            if (json is null || json.RootElement.ValueKind != JsonValueKind.Object)
            {
                Log("refused: the client's parameters were not a JSON object");
                await Iperf3.WriteServerErrorAsync(controlStream, Iperf3.Error.ReceiveParameters, Iperf3.Errno.None, stop);
                return;
            }
            test = TestParameters.Read(json.RootElement);
        }
        Log(test.Describe());
        if (test.Check() is { } refusal)
        {
            Log("refused: " + refusal.Message + " (iperf3 error " + refusal.Error + ", errno " + refusal.Errno + ")");
            await Iperf3.WriteServerErrorAsync(controlStream, refusal.Error, refusal.Errno, stop);
            await DrainAsync();
            return;
        }
        if (test.Congestion is not null)
        {
            // As iperf3's server when the algorithm does not exist here: a warning, and the test.
            Log("warning: congestion control '" + test.Congestion + "' cannot be chosen here; the stack's own is used");
        }

        parameters = test;
        acceptingStreams = true;
        await Send(Iperf3.State.CreateStreams);
        Task connected = await Task.WhenAny(streamsConnected.Task, Task.Delay(StreamsTimeout, stop));
        stop.ThrowIfCancellationRequested();
        if (connected != streamsConnected.Task)
        {
            acceptingStreams = false;
            Log("refused: " + streams.Count + " of " + (test.ReceivingStreams + test.SendingStreams) + " streams connected in " + StreamsTimeout.TotalSeconds + " s");
            await Iperf3.WriteServerErrorAsync(controlStream, Iperf3.Error.StreamAccept, Iperf3.Errno.TimedOut, stop);
            return;
        }

        await Send(Iperf3.State.TestStart);
        running = true;
        var work = new List<Task>();
        foreach (DataStream stream in streams)
        {
            work.Add(stream.Run(() => running));
        }
        using var omit = new CancellationTokenSource();
        if (test.OmitSeconds > 0)
        {
            _ = EndOmitAsync(TimeSpan.FromSeconds(test.OmitSeconds), omit.Token);
        }
        await Send(Iperf3.State.TestRunning);

        using var deadline = test.Seconds > 0 ? Timeout(TimeSpan.FromSeconds(test.Seconds + test.OmitSeconds + GraceSeconds)) : CancellationTokenSource.CreateLinkedTokenSource(stop);
        byte[] message = new byte[1];
        while (true)
        {
            bool read;
            try
            {
                read = await Iperf3.TryReadExactlyAsync(controlStream, message, deadline.Token);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                Log("ended: the test ran " + GraceSeconds + " s past its time");
                return;
            }
            if (!read)
            {
                Log("the client has unexpectedly closed the connection");
                return;
            }
            switch (unchecked((sbyte)message[0]))
            {
                case Iperf3.State.TestStart:
                    break;
                case Iperf3.State.TestEnd:
                    omit.Cancel();
                    await EndAsync(test, work);
                    break;
                case Iperf3.State.IperfDone:
                    return;
                case Iperf3.State.ClientTerminate:
                    Log("the client has terminated");
                    return;
                default:
                    Log("ended: the client sent an unknown message " + unchecked((sbyte)message[0]));
                    return;
            }
        }
    }

    // TEST_END: the streams stop (a sender finishes the block it is writing, which the client,
    // still reading, takes), the results go both ways, and the client may display them.
    private async Task EndAsync(TestParameters test, List<Task> work)
    {
        running = false;
        foreach (DataStream stream in streams)
        {
            stream.MarkEnd();
        }
        var senders = new List<Task>();
        for (int i = 0; i < streams.Count; i++)
        {
            if (streams[i].Sender)
            {
                senders.Add(work[i]);
            }
        }
        await Task.WhenAny(Task.WhenAll(senders), Task.Delay(HandshakeTimeout, stop));
        foreach (DataStream stream in streams)
        {
            stream.Close();
        }

        await Send(Iperf3.State.ExchangeResults);
        long clientBytes = 0;
        using (var handshake = Timeout(HandshakeTimeout))
        using (JsonDocument? results = await Iperf3.ReadJsonAsync(controlStream, handshake.Token))
        {
            if (results is null || !results.RootElement.TryGetProperty("streams", out JsonElement theirs) || theirs.ValueKind != JsonValueKind.Array)
            {
                throw new IOException("the client's results were not iperf3's");
            }
            foreach (JsonElement stream in theirs.EnumerateArray())
            {
                if (stream.TryGetProperty("bytes", out JsonElement bytes) && bytes.ValueKind == JsonValueKind.Number)
                {
                    clientBytes += (long)bytes.GetDouble();
                }
            }
        }
        string summary = Summary(test);
        await Iperf3.WriteJsonAsync(controlStream, writer => WriteResults(writer, test, summary), stop);
        await Send(Iperf3.State.DisplayResults);
        Log("done: " + summary.TrimEnd().Replace("\n", "; ", StringComparison.Ordinal) + "; the client counted " + clientBytes + " bytes");
    }

    // Our side's results, as iperf_api.c's send_results writes them. The kernel has no per-process
    // processor time to give (the BCL's would be the host process's), so the CPU figures are 0,
    // and there is no TCP_INFO to count retransmissions with.
    private void WriteResults(Utf8JsonWriter writer, TestParameters test, string summary)
    {
        writer.WriteStartObject();
        writer.WriteNumber("cpu_util_total", 0);
        writer.WriteNumber("cpu_util_user", 0);
        writer.WriteNumber("cpu_util_system", 0);
        writer.WriteNumber("sender_has_retransmits", test.SendingStreams == 0 ? -1 : 0);
        if (test.ServerOutput)
        {
            writer.WriteString("server_output_text", summary);
        }
        writer.WriteStartArray("streams");
        foreach (DataStream stream in streams)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", stream.Id);
            writer.WriteNumber("bytes", stream.Bytes);
            writer.WriteNumber("retransmits", -1);
            writer.WriteNumber("jitter", 0);
            writer.WriteNumber("errors", 0);
            writer.WriteNumber("packets", 0);
            writer.WriteNumber("start_time", 0);
            writer.WriteNumber("end_time", stream.Seconds);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private string Summary(TestParameters test)
    {
        var text = new StringBuilder();
        foreach (DataStream stream in streams)
        {
            double seconds = stream.Seconds;
            double gbits = seconds > 0 ? stream.Bytes * 8 / seconds / 1e9 : 0;
            text.Append(CultureInfo.InvariantCulture, $"stream {stream.Id}: {(stream.Sender ? "sent" : "received")} {stream.Bytes} bytes in {seconds:F2} s, {gbits:F3} Gbit/s\n");
        }
        return text.ToString();
    }

    private async Task EndOmitAsync(TimeSpan omit, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(omit, cancel);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        foreach (DataStream stream in streams)
        {
            stream.EndOmit();
        }
    }

    // After a refusal: the client answers with IPERF_DONE and closes; wait for that a little, so
    // that our close does not reset the connection under the client's read of our message.
    private async Task DrainAsync()
    {
        try
        {
            using var handshake = Timeout(HandshakeTimeout);
            byte[] rest = new byte[64];
            while (await controlStream.ReadAsync(rest, handshake.Token) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
        {
        }
    }

    private Task Send(sbyte state)
    {
        return Iperf3.WriteStateAsync(controlStream, state, stop);
    }

    private async Task TrySendAsync(sbyte state)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Iperf3.WriteStateAsync(controlStream, state, timeout.Token);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private CancellationTokenSource Timeout(TimeSpan after)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stop);
        source.CancelAfter(after);
        return source;
    }

    private void Log(string line)
    {
        Console.WriteLine("test " + number + ": " + line);
    }
}
