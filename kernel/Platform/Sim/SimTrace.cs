namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

// The event trace of a simulation and a running hash of it. Each event has a canonical line,
// "<virtual ns> <kind> <node> <detail>", and the hash is FNV-1a 64 over the UTF-16LE code
// units of every line followed by '\n'. Two runs of one seed must give the same hash; the
// lines themselves are built only when someone keeps them (all, or the last few for a failure
// report), so a long run pays for hashing only.
internal sealed class SimTrace
{
    // NOTE: FNV-1a 64-bit offset basis and prime (Fowler, Noll, Vo; draft-eastlake-fnv).
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    private readonly List<string> kept = new List<string>();
    private readonly string[] tail;
    private ulong hash = OffsetBasis;
    private long count;
    private int tailNext;

    public SimTrace(int tailLength, bool keepAll)
    {
        tail = new string[tailLength];
        KeepAll = keepAll;
    }

    public bool KeepAll { get; }

    public ulong Hash => hash;

    public long Count => count;

    public string HashText => hash.ToString("x16", CultureInfo.InvariantCulture);

    // Every line, when KeepAll is on.
    public IReadOnlyList<string> Lines => kept;

    // The last few lines, oldest first.
    public List<string> Tail()
    {
        List<string> lines = new List<string>(tail.Length);
        for (int index = 0; index < tail.Length; index++)
        {
            string? line = tail[(tailNext + index) % tail.Length];
            if (line != null)
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    public void Record(long time, string kind, string node, string detail)
    {
        count++;
        HashNumber(time);
        HashChar(' ');
        HashString(kind);
        HashChar(' ');
        HashString(node);
        HashChar(' ');
        HashString(detail);
        HashChar('\n');
        if (KeepAll || tail.Length > 0)
        {
            Keep(time.ToString(CultureInfo.InvariantCulture) + " " + kind + " " + node + " " + detail);
        }
    }

    // The same canonical line as Record(time, kind, node, "first second"), without building it.
    public void Record(long time, string kind, string node, long first, long second)
    {
        count++;
        HashNumber(time);
        HashChar(' ');
        HashString(kind);
        HashChar(' ');
        HashString(node);
        HashChar(' ');
        HashNumber(first);
        HashChar(' ');
        HashNumber(second);
        HashChar('\n');
        if (KeepAll || tail.Length > 0)
        {
            Keep(time.ToString(CultureInfo.InvariantCulture) + " " + kind + " " + node + " " +
                first.ToString(CultureInfo.InvariantCulture) + " " + second.ToString(CultureInfo.InvariantCulture));
        }
    }

    public string Describe()
    {
        StringBuilder builder = new StringBuilder();
        builder.Append("trace: ").Append(count.ToString(CultureInfo.InvariantCulture)).Append(" events, hash ").Append(HashText);
        return builder.ToString();
    }

    private void Keep(string line)
    {
        if (KeepAll)
        {
            kept.Add(line);
        }
        if (tail.Length > 0)
        {
            tail[tailNext] = line;
            tailNext = (tailNext + 1) % tail.Length;
        }
    }

    private void HashString(string text)
    {
        for (int index = 0; index < text.Length; index++)
        {
            HashChar(text[index]);
        }
    }

    private void HashChar(char value)
    {
        hash = (hash ^ (byte)value) * Prime;
        hash = (hash ^ (byte)(value >> 8)) * Prime;
    }

    private void HashNumber(long value)
    {
        Span<char> digits = stackalloc char[20];
        if (value < 0)
        {
            HashChar('-');
        }
        ulong magnitude = value < 0 ? (ulong)(-(value + 1)) + 1 : (ulong)value;
        int length = 0;
        do
        {
            digits[length++] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }
        while (magnitude != 0);
        for (int index = length - 1; index >= 0; index--)
        {
            HashChar(digits[index]);
        }
    }
}
