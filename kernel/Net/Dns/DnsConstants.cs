namespace Unikraft.Kernel;

// NOTE: resource record types (RFC 1035, 3.2.2; AAAA: RFC 3596, 2.1).
internal static class DnsType
{
    public const ushort A = 1;
    public const ushort Ns = 2;
    public const ushort Cname = 5;
    public const ushort Soa = 6;
    public const ushort Ptr = 12;
    public const ushort Aaaa = 28;
}

// NOTE: the Internet class (RFC 1035, 3.2.4).
internal static class DnsClass
{
    public const ushort Internet = 1;
}

// NOTE: the header's RCODE values (RFC 1035, 4.1.1).
internal static class DnsResponseCode
{
    public const int NoError = 0;
    public const int FormatError = 1;
    public const int ServerFailure = 2;
    public const int NameError = 3;
    public const int NotImplemented = 4;
    public const int Refused = 5;
}

// NOTE: the header's flag bits (RFC 1035, 4.1.1): QR, OPCODE (4 bits), AA, TC, RD, RA, Z, RCODE (4 bits).
internal static class DnsFlags
{
    public const ushort Response = 0x8000;
    public const ushort OpcodeMask = 0x7800;
    public const ushort Authoritative = 0x0400;
    public const ushort Truncated = 0x0200;
    public const ushort RecursionDesired = 0x0100;
    public const ushort RecursionAvailable = 0x0080;
    public const ushort ResponseCodeMask = 0x000F;
}
