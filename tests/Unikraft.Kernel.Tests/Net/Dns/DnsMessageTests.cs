namespace Unikraft.Kernel.Tests.Net.Dns;

using System;
using System.Collections.Generic;
using Unikraft.Kernel;
using Xunit;

public class DnsMessageTests
{
    [Fact]
    public void CapturedAnswer_ParsesToDnsmasqsRecord()
    {
        Assert.True(DnsMessage.TryParse(DnsCaptures.WebAnswer, out DnsMessage? message));

        Assert.Equal(new DnsHeader(0x1902, 0x8580, 1, 1, 0, 0), message!.Header);
        Assert.True(message.Header.IsResponse);
        Assert.Equal(DnsResponseCode.NoError, message.Header.ResponseCode);
        Assert.Equal(new DnsQuestion("web.test", DnsType.A, DnsClass.Internet), Assert.Single(message.Questions));
        DnsRecord record = Assert.Single(message.Answers);
        Assert.Equal("web.test", record.Name);
        Assert.Equal(DnsType.A, record.Type);
        Assert.Equal(0u, record.Ttl);
        Assert.Equal(new byte[] { 198, 18, 0, 1 }, record.Address);
    }

    [Fact]
    public void WriteQuery_EmitsTheBytesGlibcSent()
    {
        byte[] buffer = new byte[DnsMessage.MaximumUdpLength];

        int length = DnsMessage.WriteQuery(buffer, 0x1902, "web.test", DnsType.A);
        Assert.Equal(DnsCaptures.WebQuery, buffer.AsSpan(0, length).ToArray());

        length = DnsMessage.WriteQuery(buffer, 0xb7c3, "alias.test.", DnsType.A);
        Assert.Equal(DnsCaptures.AliasQuery, buffer.AsSpan(0, length).ToArray());

        length = DnsMessage.WriteQuery(buffer, 0x5349, "six.test", DnsType.Aaaa);
        Assert.Equal(DnsCaptures.SixQuery, buffer.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void CnameChain_IsReadThroughCompressionPointers()
    {
        Assert.True(DnsMessage.TryParse(DnsCaptures.AliasAnswer, out DnsMessage? message));

        Assert.Equal(3, message!.Answers.Count);
        Assert.Equal(("alias.test", DnsType.Cname, "www.test"), (message.Answers[0].Name, message.Answers[0].Type, message.Answers[0].Target));
        // Its owner is a pointer into the first record's data.
        Assert.Equal(("www.test", DnsType.Cname, "host.test"), (message.Answers[1].Name, message.Answers[1].Type, message.Answers[1].Target));
        Assert.Equal(("host.test", DnsType.A), (message.Answers[2].Name, message.Answers[2].Type));
        Assert.Equal(new byte[] { 198, 18, 0, 7 }, message.Answers[2].Address);
    }

    [Fact]
    public void NxDomainAndAaaa_AreRead()
    {
        Assert.True(DnsMessage.TryParse(DnsCaptures.NoSuchNameAnswer, out DnsMessage? missing));
        Assert.Equal(DnsResponseCode.NameError, missing!.Header.ResponseCode);
        Assert.Equal("nothere.test", Assert.Single(missing.Questions).Name);
        Assert.Empty(missing.Answers);

        Assert.True(DnsMessage.TryParse(DnsCaptures.SixAnswer, out DnsMessage? six));
        DnsRecord record = Assert.Single(six!.Answers);
        Assert.Equal(DnsType.Aaaa, record.Type);
        Assert.Equal(300u, record.Ttl);
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::8").GetAddressBytes(), record.Address);
    }

    [Fact]
    public void CompressionLoops_AreRejected()
    {
        // The answer's owner points at itself (offset 0x1a).
        byte[] self = (byte[])DnsCaptures.WebAnswer.Clone();
        self[0x1a] = 0xc0;
        self[0x1b] = 0x1a;
        Assert.False(DnsMessage.TryParse(self, out _));

        // Two pointers that point at each other: the owner at 12 points forward to 14, which
        // points back to 12.
        byte[] header = DnsCaptures.Hex("0001 8180 0000 0001 0000 0000");
        byte[] twoStep = new byte[header.Length + 4 + 10];
        header.CopyTo(twoStep, 0);
        twoStep[12] = 0xc0;
        twoStep[13] = 14;
        twoStep[14] = 0xc0;
        twoStep[15] = 12;
        Assert.False(DnsMessage.TryParse(twoStep, out _));

        // A pointer beyond the message.
        byte[] outside = (byte[])DnsCaptures.WebAnswer.Clone();
        outside[0x1b] = 0xff;
        Assert.False(DnsMessage.TryParse(outside, out _));
    }

    [Fact]
    public void EveryTruncation_IsRejected_WithoutAnException()
    {
        foreach (byte[] message in new[] { DnsCaptures.WebAnswer, DnsCaptures.AliasAnswer, DnsCaptures.SixAnswer, DnsCaptures.NoSuchNameAnswer })
        {
            for (int length = 0; length < message.Length; length++)
            {
                Assert.False(DnsMessage.TryParse(message.AsSpan(0, length), out _), "a message cut to " + length + " octets parsed");
            }
        }
    }

    // Random damage to real messages (flipped octets, pointers, lengths, cuts, junk): parsing
    // never throws, and what it accepts still holds only names a query could carry and
    // addresses of the right length.
    [Fact]
    public void SeededMutations_NeverThrow_AndWhatParsesIsWellFormed()
    {
        Random random = new Random(20261205);
        byte[][] seeds = { DnsCaptures.WebAnswer, DnsCaptures.AliasAnswer, DnsCaptures.SixAnswer, DnsCaptures.NoSuchNameAnswer, DnsCaptures.WebQuery };
        int parsed = 0;
        for (int round = 0; round < 20000; round++)
        {
            byte[] seed = seeds[random.Next(seeds.Length)];
            List<byte> bytes = new List<byte>(seed);
            int edits = 1 + random.Next(4);
            for (int edit = 0; edit < edits; edit++)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(5))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes[at] = (byte)(0xc0 | random.Next(4)); break;
                    case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                    case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                    default: bytes[at] = (byte)random.Next(64); break;
                }
                if (bytes.Count == 0)
                {
                    break;
                }
            }
            byte[] message = bytes.ToArray();
            if (!DnsMessage.TryParse(message, out DnsMessage? result))
            {
                continue;
            }
            parsed++;
            foreach (DnsRecord record in result!.Answers)
            {
                Assert.True(record.Name.Length == 0 || DnsName.IsValid(record.Name));
                if (record.Address != null)
                {
                    Assert.Equal(record.Type == DnsType.A ? 4 : 16, record.Address.Length);
                }
                if (record.Target != null)
                {
                    Assert.True(record.Target.Length == 0 || DnsName.IsValid(record.Target));
                }
            }
        }
        // Some damage leaves a valid message (a changed TTL or ID): the loop saw both kinds.
        Assert.InRange(parsed, 100, 19900);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("a..test")]
    [InlineData("with space.test")]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234.test")]
    public void Names_ThatNoQueryCanCarry_AreRefused(string name)
    {
        Assert.False(DnsName.IsValid(name));
        Assert.Equal(-1, DnsMessage.WriteQuery(new byte[512], 1, name, DnsType.A));
    }

    [Fact]
    public void LongestName_IsWritten_AndOneOctetMoreIsNot()
    {
        // 4 labels of 63 octets and dots: 253 characters, 255 octets on the wire.
        string label = new string('a', 63);
        string longest = label + "." + label + "." + label + "." + new string('b', 61);
        Assert.Equal(253, longest.Length);
        Assert.Equal(255, DnsName.Write(longest, new byte[300]));
        Assert.Equal(-1, DnsName.Write(longest + "b", new byte[300]));
    }
}
