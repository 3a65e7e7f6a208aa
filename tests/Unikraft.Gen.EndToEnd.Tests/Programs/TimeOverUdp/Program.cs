using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

// An SNTP exchange (RFC 4330) over the loopback, with UdpClient alone: a server answers client
// requests with its clock, the client asks three times and checks each answer as an SNTP client
// does (mode, version, originate timestamp echoed, round trip). The figures that vary from run to
// run are printed only as checks.
using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
int port = ((IPEndPoint)server.Client.LocalEndPoint!).Port;

Task serving = Task.Run(async () =>
{
    for (int answered = 0; answered < 3; answered++)
    {
        UdpReceiveResult request = await server.ReceiveAsync();
        byte[] reply = new byte[48];
        reply[0] = (4 << 3) | 4;                                 // LI 0, version 4, mode 4 (server)
        reply[1] = 2;                                             // stratum
        "LOCL"u8.CopyTo(reply.AsSpan(12));                        // reference identifier
        request.Buffer.AsSpan(40, 8).CopyTo(reply.AsSpan(24));    // originate = the client's transmit
        WriteTimestamp(reply.AsSpan(32), DateTime.UtcNow);        // receive
        WriteTimestamp(reply.AsSpan(40), DateTime.UtcNow);        // transmit
        await server.SendAsync(reply, request.RemoteEndPoint);
    }
});

using var client = new UdpClient();
client.Connect(IPAddress.Loopback, port);
for (int attempt = 1; attempt <= 3; attempt++)
{
    byte[] request = new byte[48];
    request[0] = (4 << 3) | 3;                                    // version 4, mode 3 (client)
    DateTime sent = DateTime.UtcNow;
    WriteTimestamp(request.AsSpan(40), sent);
    await client.SendAsync(request);
    UdpReceiveResult answer = await client.ReceiveAsync();
    DateTime received = DateTime.UtcNow;

    byte[] reply = answer.Buffer;
    int mode = reply[0] & 7;
    int version = (reply[0] >> 3) & 7;
    bool echoed = reply.AsSpan(24, 8).SequenceEqual(request.AsSpan(40, 8));
    DateTime transmit = ReadTimestamp(reply.AsSpan(40));
    TimeSpan roundTrip = received - sent;
    Console.WriteLine($"answer {attempt}: {reply.Length} bytes from {answer.RemoteEndPoint.Address}, mode {mode}, version {version}, " +
        $"stratum {reply[1]}, reference {System.Text.Encoding.ASCII.GetString(reply, 12, 4)}, originate echoed: {echoed}, " +
        $"round trip under a second: {roundTrip < TimeSpan.FromSeconds(1)}, server clock within a second: {(transmit - received).Duration() < TimeSpan.FromSeconds(1)}");
}

await serving;
Console.WriteLine("done");

static void WriteTimestamp(Span<byte> into, DateTime time)
{
    TimeSpan since = time - new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    BinaryPrimitives.WriteUInt32BigEndian(into, (uint)since.TotalSeconds);
    BinaryPrimitives.WriteUInt32BigEndian(into[4..], (uint)((since.Ticks % TimeSpan.TicksPerSecond) * 4294967296L / TimeSpan.TicksPerSecond));
}

static DateTime ReadTimestamp(ReadOnlySpan<byte> from)
{
    uint seconds = BinaryPrimitives.ReadUInt32BigEndian(from);
    uint fraction = BinaryPrimitives.ReadUInt32BigEndian(from[4..]);
    return new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(seconds).AddTicks(fraction * TimeSpan.TicksPerSecond / 4294967296L);
}
