using System.Net;
using System.Net.Mail;
using System.Net.Sockets;
using System.Text;

// A mail sender as programs write one (SmtpClient and MailMessage), and, to receive it, the
// smallest SMTP server (RFC 5321) on a TcpListener: it answers each command, keeps the message
// and says what it got once the client quits.
var listener = new TcpListener(IPAddress.Loopback, 2525);
listener.Start();
Task<string> server = Task.Run(async () =>
{
    using TcpClient peer = await listener.AcceptTcpClientAsync();
    using var reader = new StreamReader(peer.GetStream(), Encoding.ASCII);
    using var writer = new StreamWriter(peer.GetStream(), Encoding.ASCII) { AutoFlush = true, NewLine = "\r\n" };
    await writer.WriteLineAsync("220 mailer.test ESMTP");
    var commands = new List<string>();
    var message = new StringBuilder();
    bool inData = false;
    while (await reader.ReadLineAsync() is { } line)
    {
        if (inData)
        {
            if (line == ".")
            {
                inData = false;
                await writer.WriteLineAsync("250 queued");
            }
            else
            {
                message.Append(line).Append('\n');
            }
            continue;
        }

        string verb = line.Split(' ')[0].ToUpperInvariant();
        commands.Add(verb == "MAIL" || verb == "RCPT" ? line : verb);
        if (verb == "EHLO")
        {
            await writer.WriteLineAsync("250-mailer.test");
            await writer.WriteLineAsync("250 8BITMIME");
        }
        else if (verb == "DATA")
        {
            inData = true;
            await writer.WriteLineAsync("354 end with a line of one dot");
        }
        else if (verb == "QUIT")
        {
            await writer.WriteLineAsync("221 bye");
            break;
        }
        else
        {
            await writer.WriteLineAsync("250 ok");
        }
    }

    string text = message.ToString();
    string subject = text.Split('\n').FirstOrDefault(header => header.StartsWith("Subject: ", StringComparison.Ordinal)) ?? "no subject";
    return string.Join(", ", commands) + "\n" + subject + "\nbody ends with: " + text.TrimEnd('\n').Split('\n').Last();
});

using (var client = new SmtpClient("127.0.0.1", 2525))
{
    client.Send(new MailMessage("sender@mailer.test", "reader@mailer.test", "Weekly report", "All systems nominal."));
    Console.WriteLine("sent");
}

Console.WriteLine(await server);
listener.Stop();
