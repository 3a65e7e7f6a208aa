namespace Unikraft.Kernel;

using System;

// A checked view over a cpio "newc" archive, the format of Linux's initramfs and Unikraft's
// rootfs. TryParse walks every header once and checks every length, digit, name and checksum;
// after it succeeds, enumerating the entries never fails and never throws.
//
// NOTE: the layout is in cpio(5) and in Linux's
// Documentation/driver-api/early-userspace/buffer-format.rst: a 110-byte header of ASCII fields
// (the 6-byte magic "070701", or "070702" when the check field holds the sum of the data bytes,
// then 13 fields of 8 hexadecimal digits), the name with its terminating NUL, padded with NULs
// to a multiple of 4 counted from the start of the header, then the data, padded to 4 again.
// The entry named "TRAILER!!!" ends an archive. As in Linux's init/initramfs.c, several
// archives may follow each other, separated by NUL padding.
internal readonly ref struct CpioArchive
{
    public const int HeaderLength = 110;

    // NOTE: PATH_MAX from linux/limits.h, with the name's NUL.
    public const int MaximumNameSize = 4096;

    private readonly ReadOnlySpan<byte> bytes;

    private CpioArchive(ReadOnlySpan<byte> bytes, int entryCount)
    {
        this.bytes = bytes;
        EntryCount = entryCount;
    }

    // How many entries the archive holds, not counting the trailers.
    public int EntryCount { get; }

    public static bool TryParse(ReadOnlySpan<byte> bytes, out CpioArchive archive, out CpioProblem problem)
    {
        archive = default;
        int count = 0;
        int offset = 0;
        bool trailerSeen = false;
        while (offset < bytes.Length)
        {
            if (trailerSeen)
            {
                // Between archives and at the end only NULs may stand; the next archive starts
                // on a multiple of 4, as Linux's initramfs requires ("broken padding").
                if (bytes[offset] == 0)
                {
                    offset++;
                    continue;
                }
                if ((offset & 3) != 0)
                {
                    problem = new CpioProblem(Errno.EINVAL, offset, "bytes after TRAILER!!! that are neither NUL padding nor an archive on a 4-byte boundary");
                    return false;
                }
                trailerSeen = false;
            }
            if (!TryReadEntry(bytes, offset, true, out CpioEntry entry, out int next, out problem))
            {
                return false;
            }
            if (entry.IsTrailer)
            {
                trailerSeen = true;
            }
            else
            {
                count++;
            }
            offset = next;
        }
        if (!trailerSeen)
        {
            problem = new CpioProblem(Errno.EINVAL, offset, bytes.Length == 0 ? "empty archive" : "archive ends without TRAILER!!!");
            return false;
        }
        archive = new CpioArchive(bytes, count);
        problem = default;
        return true;
    }

    public Enumerator GetEnumerator() => new Enumerator(bytes);

    // Reads the entry at offset. With check set, every field is validated; the enumerator
    // reads entries TryParse has already checked.
    private static bool TryReadEntry(ReadOnlySpan<byte> bytes, int offset, bool check, out CpioEntry entry, out int next, out CpioProblem problem)
    {
        entry = default;
        next = bytes.Length;
        if (bytes.Length - offset < HeaderLength)
        {
            // A short input that does not even start like a newc header is a wrong format
            // (a compressed archive, say), not a truncated one.
            ReadOnlySpan<byte> start = bytes.Slice(offset, Math.Min(6, bytes.Length - offset));
            bool magic = CpioHeader.StartsLikeMagic(start);
            problem = new CpioProblem(Errno.EINVAL, offset, magic ? "truncated header" : CpioHeader.BadMagic);
            return false;
        }
        ReadOnlySpan<byte> header = bytes.Slice(offset, HeaderLength);
        if (!CpioHeader.TryParse(header, out CpioHeader fields, out string? reason))
        {
            problem = new CpioProblem(Errno.EINVAL, offset, reason ?? "bad header");
            return false;
        }
        long nameEnd = (long)offset + HeaderLength + fields.NameSize;
        if (fields.NameSize == 0 || fields.NameSize > MaximumNameSize)
        {
            problem = new CpioProblem(Errno.EINVAL, offset, "name size out of range (1 to 4096 bytes with its NUL)");
            return false;
        }
        if (nameEnd > bytes.Length)
        {
            problem = new CpioProblem(Errno.EINVAL, offset, "name runs past the end of the archive");
            return false;
        }
        ReadOnlySpan<byte> nameWithNul = bytes.Slice(offset + HeaderLength, (int)fields.NameSize);
        ReadOnlySpan<byte> name = nameWithNul.Slice(0, nameWithNul.Length - 1);
        if (check)
        {
            if (nameWithNul[nameWithNul.Length - 1] != 0)
            {
                problem = new CpioProblem(Errno.EINVAL, offset, "name without its terminating NUL");
                return false;
            }
            if (name.IndexOf((byte)0) >= 0)
            {
                problem = new CpioProblem(Errno.EINVAL, offset, "NUL inside a name");
                return false;
            }
        }
        bool trailer = name.SequenceEqual(CpioHeader.TrailerName);
        long dataStart = Align4(nameEnd);
        long dataEnd = dataStart + fields.FileSize;
        if (dataEnd > bytes.Length)
        {
            // A trailer may end the input right after its name, before its padding.
            if (!(trailer && fields.FileSize == 0 && nameEnd <= bytes.Length))
            {
                problem = new CpioProblem(Errno.EINVAL, offset, "data runs past the end of the archive");
                return false;
            }
            dataStart = nameEnd;
            dataEnd = nameEnd;
        }
        ReadOnlySpan<byte> data = bytes.Slice((int)dataStart, (int)(dataEnd - dataStart));
        if (check && fields.HasChecksum)
        {
            uint sum = 0;
            for (int index = 0; index < data.Length; index++)
            {
                sum += data[index];
            }
            if (sum != fields.Check)
            {
                problem = new CpioProblem(Errno.EINVAL, offset, "checksum mismatch (070702 archive)");
                return false;
            }
        }
        entry = new CpioEntry(fields, name, data, offset, trailer);
        // The padding after the data may be cut off at the very end of the input.
        next = (int)Math.Min(Align4(dataEnd), bytes.Length);
        problem = default;
        return true;
    }

    private static long Align4(long value) => (value + 3) & ~3L;

    internal ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> bytes;
        private int offset;
        private CpioEntry current;

        public Enumerator(ReadOnlySpan<byte> bytes)
        {
            this.bytes = bytes;
            offset = 0;
            current = default;
        }

        public CpioEntry Current => current;

        public bool MoveNext()
        {
            while (offset < bytes.Length)
            {
                if (bytes[offset] == 0)
                {
                    offset++;
                    continue;
                }
                if (!TryReadEntry(bytes, offset, false, out CpioEntry entry, out int next, out CpioProblem unused))
                {
                    offset = bytes.Length;
                    return false;
                }
                offset = next;
                if (!entry.IsTrailer)
                {
                    current = entry;
                    return true;
                }
            }
            return false;
        }
    }
}

// Why an archive was refused: the errno to return, where in the archive, and a sentence for
// the boot error.
internal readonly record struct CpioProblem(int Errno, long Offset, string Reason)
{
    public override string ToString() => Reason + " at byte " + Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) +
        " (" + Unikraft.Kernel.Errno.Name(Errno) + ")";
}

// One entry of a parsed archive: its header fields, its name without the NUL and its data.
internal readonly ref struct CpioEntry
{
    private readonly CpioHeader header;

    public CpioEntry(CpioHeader header, ReadOnlySpan<byte> name, ReadOnlySpan<byte> data, int offset, bool isTrailer)
    {
        this.header = header;
        Name = name;
        Data = data;
        Offset = offset;
        IsTrailer = isTrailer;
    }

    public CpioHeader Header => header;

    public ReadOnlySpan<byte> Name { get; }

    public ReadOnlySpan<byte> Data { get; }

    public int Offset { get; }

    public bool IsTrailer { get; }

    public uint Mode => header.Mode;

    public uint FileType => header.Mode & CpioHeader.FileTypeMask;

    // The permission bits with set-user-id, set-group-id and sticky (07777).
    public uint Permissions => header.Mode & 0xFFF;

    public uint Ino => header.Ino;

    public uint Nlink => header.Nlink;

    public uint Mtime => header.Mtime;

    public uint FileSize => header.FileSize;

    public bool IsDirectory => FileType == CpioHeader.TypeDirectory;

    public bool IsRegularFile => FileType == CpioHeader.TypeRegular;

    public bool IsSymbolicLink => FileType == CpioHeader.TypeSymbolicLink;
}

// The header fields of one newc entry, parsed and validated; Emit writes them back as the same
// 110 bytes.
internal readonly record struct CpioHeader(
    bool HasChecksum,
    uint Ino,
    uint Mode,
    uint Uid,
    uint Gid,
    uint Nlink,
    uint Mtime,
    uint FileSize,
    uint DevMajor,
    uint DevMinor,
    uint RDevMajor,
    uint RDevMinor,
    uint NameSize,
    uint Check)
{
    // NOTE: file type bits from linux/stat.h (S_IFMT and the S_IF* values).
    public const uint FileTypeMask = 0xF000;
    public const uint TypeFifo = 0x1000;
    public const uint TypeCharacterDevice = 0x2000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeBlockDevice = 0x6000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeSymbolicLink = 0xA000;
    public const uint TypeSocket = 0xC000;

    public static ReadOnlySpan<byte> TrailerName => "TRAILER!!!"u8;

    private static ReadOnlySpan<byte> Magic => "07070"u8;

    public const string BadMagic = "bad magic: not a cpio newc archive (070701 or 070702; a compressed archive must be decompressed first)";

    // True when bytes (up to 6) match the start of "070701" or "070702".
    public static bool StartsLikeMagic(ReadOnlySpan<byte> bytes)
    {
        int common = Math.Min(bytes.Length, 5);
        if (!bytes.Slice(0, common).SequenceEqual(Magic.Slice(0, common)))
        {
            return false;
        }
        return bytes.Length < 6 || bytes[5] == (byte)'1' || bytes[5] == (byte)'2';
    }

    public static bool TryParse(ReadOnlySpan<byte> header, out CpioHeader fields, out string? reason)
    {
        fields = default;
        if (header.Length < CpioArchive.HeaderLength)
        {
            reason = "truncated header";
            return false;
        }
        if (!StartsLikeMagic(header.Slice(0, 6)))
        {
            reason = BadMagic;
            return false;
        }
        Span<uint> values = stackalloc uint[13];
        for (int field = 0; field < 13; field++)
        {
            if (!TryParseHex(header.Slice(6 + field * 8, 8), out values[field]))
            {
                reason = "a header field is not 8 hexadecimal digits";
                return false;
            }
        }
        fields = new CpioHeader(header[5] == (byte)'2', values[0], values[1], values[2], values[3], values[4], values[5],
            values[6], values[7], values[8], values[9], values[10], values[11], values[12]);
        reason = null;
        return true;
    }

    // Writes the 110 header bytes; the destination must hold at least HeaderLength bytes.
    public void Emit(Span<byte> header)
    {
        Magic.CopyTo(header);
        header[5] = HasChecksum ? (byte)'2' : (byte)'1';
        WriteHex(header.Slice(6), Ino);
        WriteHex(header.Slice(14), Mode);
        WriteHex(header.Slice(22), Uid);
        WriteHex(header.Slice(30), Gid);
        WriteHex(header.Slice(38), Nlink);
        WriteHex(header.Slice(46), Mtime);
        WriteHex(header.Slice(54), FileSize);
        WriteHex(header.Slice(62), DevMajor);
        WriteHex(header.Slice(70), DevMinor);
        WriteHex(header.Slice(78), RDevMajor);
        WriteHex(header.Slice(86), RDevMinor);
        WriteHex(header.Slice(94), NameSize);
        WriteHex(header.Slice(102), Check);
    }

    private static bool TryParseHex(ReadOnlySpan<byte> digits, out uint value)
    {
        value = 0;
        for (int index = 0; index < digits.Length; index++)
        {
            byte digit = digits[index];
            uint nibble;
            if (digit >= (byte)'0' && digit <= (byte)'9')
            {
                nibble = (uint)(digit - '0');
            }
            else if (digit >= (byte)'a' && digit <= (byte)'f')
            {
                nibble = (uint)(digit - 'a' + 10);
            }
            else if (digit >= (byte)'A' && digit <= (byte)'F')
            {
                nibble = (uint)(digit - 'A' + 10);
            }
            else
            {
                return false;
            }
            value = (value << 4) | nibble;
        }
        return true;
    }

    // Upper-case digits, as GNU cpio and Linux's gen_init_cpio write them.
    private static void WriteHex(Span<byte> destination, uint value)
    {
        for (int index = 7; index >= 0; index--)
        {
            uint nibble = value & 0xF;
            destination[index] = (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
            value >>= 4;
        }
    }
}
