namespace Unikraft.Kernel.Tests.Net.Dns;

using System;
using System.Globalization;

// DNS messages captured with `tcpdump -xx` on a veth between two network namespaces: dnsmasq 2.90
// (--no-resolv --no-hosts --address=/web.test/198.18.0.1 --host-record=host.test,198.18.0.7
// --cname=alias.test,www.test --cname=www.test,host.test --local=/test/) at 198.18.0.1, and
// glibc's resolver (`getent ahostsv4`, `getent ahostsv6`) at 198.18.0.2. UDP payloads only.
internal static class DnsCaptures
{
    // glibc's query for web.test A, ID 0x1902, and dnsmasq's answer (TTL 0: --local-ttl unset).
    public static readonly byte[] WebQuery = Hex("1902 0100 0001 0000 0000 0000 0377 6562 0474 6573 7400 0001 0001");

    public static readonly byte[] WebAnswer = Hex(
        "1902 8580 0001 0001 0000 0000 0377 6562 0474 6573 7400 0001 0001 c00c 0001 0001 0000 0000 0004 c612 0001");

    // alias.test A: a CNAME to www.test, a CNAME to host.test (its owner a pointer to offset
    // 0x28, inside the first CNAME's data), and host.test A 198.18.0.7.
    public static readonly byte[] AliasQuery = Hex("b7c3 0100 0001 0000 0000 0000 0561 6c69 6173 0474 6573 7400 0001 0001");

    public static readonly byte[] AliasAnswer = Hex(
        "b7c3 8580 0001 0003 0000 0000 0561 6c69 6173 0474 6573 7400 0001 0001 c00c 0005 0001 0000 0000 000a 0377 7777 0474 6573 7400 "
        + "c028 0005 0001 0000 0000 000b 0468 6f73 7404 7465 7374 00c0 3e00 0100 0100 0000 0000 04c6 1200 07");

    // nothere.test A: NXDOMAIN with no authority section (dnsmasq's --local).
    public static readonly byte[] NoSuchNameAnswer = Hex("c6ab 8183 0001 0000 0000 0000 076e 6f74 6865 7265 0474 6573 7400 0001 0001");

    // six.test AAAA 2001:db8::8 with --local-ttl=300.
    public static readonly byte[] SixQuery = Hex("5349 0100 0001 0000 0000 0000 0373 6978 0474 6573 7400 001c 0001");

    public static readonly byte[] SixAnswer = Hex(
        "5349 8580 0001 0001 0000 0000 0373 6978 0474 6573 7400 001c 0001 c00c 001c 0001 0000 012c 0010 2001 0db8 0000 0000 0000 0000 0000 0008");

    public static byte[] Hex(string text)
    {
        string digits = text.Replace(" ", "", StringComparison.Ordinal);
        byte[] bytes = new byte[digits.Length / 2];
        for (int index = 0; index < bytes.Length; index++)
        {
            bytes[index] = byte.Parse(digits.AsSpan(index * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return bytes;
    }
}
