namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.Text;

// The static table of hosts(5): one line per address, "address canonical-name [aliases...]",
// '#' to the end of a line is a comment. Read from the kernel's own file system (the image's
// /etc/hosts, when it has one), never the host's. Only IPv4 lines are taken: the kernel has no
// IPv6, and an IPv6 line is skipped.
internal sealed class HostsFile
{
    // NOTE: a hosts file is a few lines; 64 KiB bounds what one lookup reads.
    public const int MaximumLength = 65536;

    public const string Path = "/etc/hosts";

    private readonly List<Ipv4Address> addresses = new List<Ipv4Address>();
    private readonly List<string[]> names = new List<string[]>();

    public int Count => addresses.Count;

    public static HostsFile Parse(ReadOnlySpan<byte> text)
    {
        HostsFile file = new HostsFile();
        string content = Encoding.ASCII.GetString(text);
        string[] lines = content.Split('\n');
        for (int line = 0; line < lines.Length; line++)
        {
            string body = lines[line];
            int comment = body.IndexOf('#');
            if (comment >= 0)
            {
                body = body.Substring(0, comment);
            }
            string[] fields = body.Split(new[] { ' ', '\t', '\r' }, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !Ipv4Address.TryParse(fields[0], out Ipv4Address address))
            {
                continue;
            }
            string[] hostNames = new string[fields.Length - 1];
            Array.Copy(fields, 1, hostNames, 0, hostNames.Length);
            file.addresses.Add(address);
            file.names.Add(hostNames);
        }
        return file;
    }

    // Reads /etc/hosts through the kernel's VFS; an empty table when the image has none.
    public static HostsFile Read(Kernel kernel)
    {
        long fd = Sys.Openat(kernel, OpenFlags.AT_FDCWD, Path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return new HostsFile();
        }
        byte[] buffer = new byte[MaximumLength];
        int used = 0;
        while (used < buffer.Length)
        {
            long read = Sys.Read(kernel, (int)fd, buffer.AsSpan(used));
            if (read <= 0)
            {
                break;
            }
            used += (int)read;
        }
        Sys.Close(kernel, (int)fd);
        return Parse(buffer.AsSpan(0, used));
    }

    // Every address listed for name, in file order, into found; the canonical name (the first
    // name of the first matching line) or null when no line names it.
    public string? Find(string name, List<byte[]> found)
    {
        string? canonical = null;
        for (int line = 0; line < addresses.Count; line++)
        {
            string[] lineNames = names[line];
            for (int index = 0; index < lineNames.Length; index++)
            {
                if (DnsName.Same(lineNames[index], name))
                {
                    canonical ??= lineNames[0];
                    byte[] bytes = new byte[Ipv4Address.Length];
                    addresses[line].Write(bytes);
                    found.Add(bytes);
                    break;
                }
            }
        }
        return canonical;
    }

    // The canonical name of the first line for address, or null.
    public string? NameOf(Ipv4Address address)
    {
        for (int line = 0; line < addresses.Count; line++)
        {
            if (addresses[line] == address)
            {
                return names[line][0];
            }
        }
        return null;
    }
}
