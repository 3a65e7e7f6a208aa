namespace Unikraft.Kernel;

// The control bits of a TCP header's thirteenth and fourteenth bytes.
// NOTE: RFC 9293, 3.1 (the header format) for FIN..URG; ECE and CWR from RFC 3168, 6.1.
internal static class TcpFlags
{
    public const byte Fin = 0x01;

    public const byte Syn = 0x02;

    public const byte Rst = 0x04;

    public const byte Psh = 0x08;

    public const byte Ack = 0x10;

    public const byte Urg = 0x20;

    public const byte Ece = 0x40;

    public const byte Cwr = 0x80;
}
