using System.Net;
using System.Net.WebSockets;
using System.Text;

// An echo service on WebSockets: HttpListener accepts the upgrade and sends back every message it
// receives, whole, until the client closes; ClientWebSocket sends a line of text and 100 KB of
// bytes in frames of 4 KB, reads each echo back in pieces of 1 KB, and closes.
var http = new HttpListener();
http.Prefixes.Add("http://127.0.0.1:8090/");
http.Start();
Task server = Task.Run(async () =>
{
    HttpListenerContext context = await http.GetContextAsync();
    if (!context.Request.IsWebSocketRequest)
    {
        context.Response.StatusCode = 400;
        context.Response.Close();
        return;
    }

    WebSocket peer = (await context.AcceptWebSocketAsync(subProtocol: null)).WebSocket;
    var message = new MemoryStream();
    var buffer = new byte[8192];
    while (true)
    {
        WebSocketReceiveResult received = await peer.ReceiveAsync(buffer, CancellationToken.None);
        if (received.MessageType == WebSocketMessageType.Close)
        {
            Console.WriteLine("server: " + context.Request.Url!.AbsolutePath + " closed by the client with " + received.CloseStatus + ", " + received.CloseStatusDescription);
            await peer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            break;
        }

        message.Write(buffer, 0, received.Count);
        if (received.EndOfMessage)
        {
            await peer.SendAsync(message.ToArray(), received.MessageType, true, CancellationToken.None);
            message.SetLength(0);
        }
    }
});

using var client = new ClientWebSocket();
await client.ConnectAsync(new Uri("ws://127.0.0.1:8090/echo"), CancellationToken.None);
Console.WriteLine("client: " + client.State);

await client.SendAsync(Encoding.UTF8.GetBytes("hello over a websocket"), WebSocketMessageType.Text, true, CancellationToken.None);
Console.WriteLine("client: text echo \"" + Encoding.UTF8.GetString(await ReceiveWhole(client)) + "\"");

byte[] payload = new byte[100 * 1024];
new Random(7).NextBytes(payload);
for (int offset = 0; offset < payload.Length; offset += 4096)
{
    int count = Math.Min(4096, payload.Length - offset);
    await client.SendAsync(payload.AsMemory(offset, count), WebSocketMessageType.Binary, offset + count == payload.Length, CancellationToken.None);
}

byte[] echoed = await ReceiveWhole(client);
Console.WriteLine("client: binary echo of " + echoed.Length + " bytes, " + (echoed.AsSpan().SequenceEqual(payload) ? "identical" : "different"));

await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
Console.WriteLine("client: " + client.State + ", server said " + client.CloseStatusDescription);
await server;
http.Stop();

static async Task<byte[]> ReceiveWhole(WebSocket socket)
{
    var whole = new MemoryStream();
    var piece = new byte[1024];
    WebSocketReceiveResult received;
    do
    {
        received = await socket.ReceiveAsync(piece, CancellationToken.None);
        whole.Write(piece, 0, received.Count);
    }
    while (!received.EndOfMessage);
    return whole.ToArray();
}
