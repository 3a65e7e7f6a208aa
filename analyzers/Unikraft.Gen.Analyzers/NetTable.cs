// The program's network interfaces, from its <UnikraftNet> items. Shared by the analyzers and the
// generator (this file is compiled into both), so both read the same configuration.
//
// MSBuild passes the items as one property, UnikraftNets: items separated by '>', and each item's
// fields by '|': name|type|address|gateway|dns|forward|device|address6|gateway6|end[|origin]. The field "end" is always there:
// the property reaches the compiler through a .globalconfig file, where ';' starts a comment, so
// a list written with ';' cuts the item short there, and a missing "end" says so.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace Unikraft.Gen.Support
{
    internal sealed class NetEntry : IEquatable<NetEntry>
    {
        public NetEntry(string name, string type, string address, int prefixLength, string gateway, string[] dns, int[] forward, string device,
            string[] addresses6)
            : this(name, type, address, prefixLength, gateway, dns, forward, device, addresses6, new int[0])
        {
        }

        public NetEntry(string name, string type, string address, int prefixLength, string gateway, string[] dns, int[] forward, string device,
            string[] addresses6, int[] forwardUdp, string gateway6 = "")
        {
            Gateway6 = gateway6;
            ForwardUdp = forwardUdp;
            Addresses6 = addresses6;
            Name = name;
            Type = type;
            Address = address;
            PrefixLength = prefixLength;
            Gateway = gateway;
            Dns = dns;
            Forward = forward;
            Device = device;
        }

        // The interface's name in the kernel ("eth0").
        public string Name { get; }

        // tap or passt (hosted), virtio (microvm).
        public string Type { get; }

        // The interface's IPv4 address, dotted, without its prefix length.
        public string Address { get; }

        public int PrefixLength { get; }

        // The default route's next hop, dotted; empty for none.
        public string Gateway { get; }

        public string[] Dns { get; }

        // TCP ports of the host forwarded to the program (passt; virtio through QEMU's user network):
        // Forward's "8080" or "8080/tcp".
        public int[] Forward { get; }

        // UDP ports of the host forwarded to the program (passt's -u): Forward's "4009/udp".
        public int[] ForwardUdp { get; }

        // The host's device name (a TAP interface's name); empty: the kernel chooses.
        public string Device { get; }

        // Where the item comes from, for the manifest's reasons: "" for the project file, or what
        // the build added it for ("launch": UnikraftLaunchNet, from the launch profile's URLs).
        public string Origin { get; set; } = "";

        // The interface's IPv6 addresses (Address6), each with its prefix length ("2001:2::2/64"),
        // in the order written, or "auto" alone (passt: from its router advertisement); empty: IPv4 only. The link-local address is not here: the kernel
        // makes it from the MAC whenever there is one.
        public string[] Addresses6 { get; }

        // The IPv6 default route's next hop (Gateway6), as written; empty for none (then a router
        // advertisement may give one). Link-local or inside one of Addresses6's prefixes.
        public string Gateway6 { get; }

        public bool Equals(NetEntry? other) =>
            other is not null && Name == other.Name && Type == other.Type && Address == other.Address
            && PrefixLength == other.PrefixLength && Gateway == other.Gateway && Device == other.Device && Gateway6 == other.Gateway6
            && Origin == other.Origin
            && string.Join(",", Dns) == string.Join(",", other.Dns) && string.Join(",", Addresses6) == string.Join(",", other.Addresses6)
            && string.Join(",", Array.ConvertAll(Forward, p => p.ToString(CultureInfo.InvariantCulture)))
                == string.Join(",", Array.ConvertAll(other.Forward, p => p.ToString(CultureInfo.InvariantCulture)))
            && string.Join(",", Array.ConvertAll(ForwardUdp, p => p.ToString(CultureInfo.InvariantCulture)))
                == string.Join(",", Array.ConvertAll(other.ForwardUdp, p => p.ToString(CultureInfo.InvariantCulture)));

        public override bool Equals(object? obj) => Equals(obj as NetEntry);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name) ^ StringComparer.Ordinal.GetHashCode(Address);

        public override string ToString() => Name + " (" + Type + ", " + Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture) + ")";
    }

    internal sealed class NetTable
    {
        public const char ItemSeparator = '>';

        private NetTable(List<NetEntry> interfaces, List<string> errors)
        {
            Interfaces = interfaces;
            Errors = errors;
        }

        // In the order written.
        public IReadOnlyList<NetEntry> Interfaces { get; }

        // Each names the item and says what would be valid.
        public IReadOnlyList<string> Errors { get; }

        // The types a platform has devices for.
        public static string[] TypesOn(string platform) =>
            platform == "hosted" ? new[] { "passt", "tap" } : platform == "microvm" ? new[] { "virtio" } : new string[0];

        // The type an item without one gets: the VM's own network card on microvm; elsewhere the
        // type must be said.
        public static string DefaultTypeOn(string platform) => platform == "microvm" ? "virtio" : "";

        public static NetTable Parse(string? text, string platform)
        {
            var interfaces = new List<NetEntry>();
            var errors = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string item in (text ?? "").Split(new[] { ItemSeparator }, StringSplitOptions.RemoveEmptyEntries))
            {
                string[] fields = item.Split('|');
                string Field(int index) => fields.Length > index ? fields[index].Trim() : "";
                string name = Field(0);
                string type = Field(1).Length > 0 ? Field(1) : DefaultTypeOn(platform);
                string label = "<UnikraftNet Include=\"" + name + "\">";
                // NOTE: an item of nine fields (no gateway6, the form before Gateway6 existed) is
                // still whole: "end" is never a valid Gateway6, so the two forms cannot be confused.
                bool withGateway6 = fields.Length >= 10 && Field(9) == "end";
                if (!withGateway6 && (fields.Length < 9 || Field(8) != "end"))
                {
                    errors.Add(label + ": its settings were cut short; write lists (Dns, Forward, Address6) with ',' between the values, not ';'");
                    continue;
                }

                if (!IsName(name))
                {
                    errors.Add(label + ": the interface name must be 1 to 15 letters, digits, '-' or '_', such as eth0");
                    continue;
                }

                if (!seen.Add(name))
                {
                    errors.Add(label + ": " + name + " is declared twice; keep one item per interface");
                    continue;
                }

                string[] types = TypesOn(platform);
                if (Array.IndexOf(types, type) < 0)
                {
                    errors.Add(label + ": Type '" + type + "' is not a network device of the " + platform + " platform; "
                        + (types.Length == 0 ? NoDeviceReason(platform) : "valid: " + string.Join(", ", types)));
                    continue;
                }

                string addressText = Field(2);
                int slash = addressText.IndexOf('/');
                string address = slash < 0 ? addressText : addressText.Substring(0, slash);
                if (!TryParseAddress(address, out uint addressValue) || slash < 0
                    || !int.TryParse(addressText.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
                    || prefix < 1 || prefix > 30)
                {
                    errors.Add(label + ": Address '" + addressText + "' is not an IPv4 address with a prefix length from 1 to 30, such as 198.18.0.2/24");
                    continue;
                }

                uint mask = prefix == 0 ? 0u : ~(0xFFFF_FFFFu >> prefix);
                if ((addressValue & ~mask) == 0 || (addressValue | mask) == 0xFFFF_FFFF)
                {
                    errors.Add(label + ": Address '" + addressText + "' is its network's own address or its broadcast address; pick a host address inside the network");
                    continue;
                }

                string gateway = Field(3);
                if (gateway.Length > 0)
                {
                    if (!TryParseAddress(gateway, out uint gatewayValue))
                    {
                        errors.Add(label + ": Gateway '" + gateway + "' is not an IPv4 address such as 198.18.0.1");
                        continue;
                    }

                    if ((gatewayValue & mask) != (addressValue & mask) || gatewayValue == addressValue)
                    {
                        errors.Add(label + ": Gateway '" + gateway + "' is not another host on " + addressText + "'s network; the next hop must be reachable directly");
                        continue;
                    }
                }

                var dns = new List<string>();
                bool bad = false;
                foreach (string server in Field(4).Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!TryParseAddress(server.Trim(), out _))
                    {
                        errors.Add(label + ": Dns '" + server.Trim() + "' is not an IPv4 address; list name servers such as 198.18.0.1,198.18.0.53");
                        bad = true;
                        break;
                    }

                    dns.Add(server.Trim());
                }

                // Each entry a port, TCP unless it ends in "/udp" ("8080", "8080/tcp", "4009/udp").
                var forward = new List<int>();
                var forwardUdp = new List<int>();
                foreach (string entry in Field(5).Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (bad)
                    {
                        break;
                    }

                    string port = entry.Trim();
                    List<int> ports = forward;
                    int cut = port.IndexOf('/');
                    string protocol = cut < 0 ? "tcp" : port.Substring(cut + 1);
                    if (cut >= 0)
                    {
                        port = port.Substring(0, cut);
                        ports = protocol == "udp" ? forwardUdp : forward;
                    }

                    if ((protocol != "tcp" && protocol != "udp")
                        || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < 1 || number > 65535)
                    {
                        errors.Add(label + ": Forward '" + entry.Trim() + "' is not a port from 1 to 65535, written 8080 or 8080/tcp for TCP and 4009/udp for UDP");
                        bad = true;
                    }
                    else if (ports.Contains(number))
                    {
                        errors.Add(label + ": Forward lists " + protocol.ToUpperInvariant() + " port " + port + " twice");
                        bad = true;
                    }
                    else
                    {
                        ports.Add(number);
                    }
                }

                if (!bad && forwardUdp.Count > 0 && type == "virtio")
                {
                    errors.Add(label + ": Forward '" + forwardUdp[0].ToString(CultureInfo.InvariantCulture) + "/udp': a microvm's runner forwards TCP ports only; UDP ports are forwarded by Type=\"passt\" (hosted)");
                    bad = true;
                }

                if (!bad && (forward.Count > 0 || forwardUdp.Count > 0) && type != "passt" && type != "virtio")
                {
                    errors.Add(label + ": Forward is for Type=\"passt\" (hosted) or Type=\"virtio\" (microvm), which forward the host's ports; with " + type + " the host reaches " + address + " directly");
                    bad = true;
                }

                string device = Field(6);
                if (!bad && device.Length > 0 && (type != "tap" || !IsName(device)))
                {
                    errors.Add(label + ": Device '" + device + "' " + (type != "tap"
                        ? "names a host interface, which only Type=\"tap\" has"
                        : "is not a host interface name (1 to 15 letters, digits, '-' or '_')"));
                    bad = true;
                }

                var addresses6 = new List<string>();
                foreach (string text6 in Field(7).Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (bad)
                    {
                        break;
                    }

                    string entry6 = text6.Trim();
                    string? problem = entry6 == Auto6 ? null : CheckAddress6(entry6);
                    if (problem != null)
                    {
                        errors.Add(label + ": Address6 '" + entry6 + "' " + problem);
                        bad = true;
                    }
                    else if (addresses6.Contains(entry6))
                    {
                        errors.Add(label + ": Address6 lists " + entry6 + " twice");
                        bad = true;
                    }
                    else
                    {
                        addresses6.Add(entry6);
                    }
                }

                if (!bad && addresses6.Count > 0 && type != "tap" && type != "passt")
                {
                    errors.Add(label + ": Address6 is for Type=\"tap\" and Type=\"passt\" for now: the kernel's IPv6 has not been carried over " + type + " yet; leave Address6 out to use IPv4 alone");
                    bad = true;
                }

                // passt hands out and follows one IPv6 address of the guest, or the guest's own
                // from its router advertisement's prefix ("auto").
                if (!bad && type == "passt" && addresses6.Count > 1)
                {
                    errors.Add(label + ": Address6 '" + string.Join(",", addresses6) + "': passt carries one IPv6 address of the program; write Address6=\"auto\" (an address from the prefix passt advertises, the host's) or one address");
                    bad = true;
                }

                if (!bad && type != "passt" && addresses6.Contains(Auto6))
                {
                    errors.Add(label + ": Address6 'auto' takes the address from passt's router advertisements, which Type=\"" + type + "\" has no source of; write the interface's addresses, such as 2001:2::2/64");
                    bad = true;
                }

                string gateway6 = withGateway6 ? Field(8) : "";
                if (!bad && gateway6.Length > 0)
                {
                    string? problem6 = CheckGateway6(gateway6, addresses6);
                    if (problem6 != null)
                    {
                        errors.Add(label + ": Gateway6 '" + gateway6 + "' " + problem6);
                        bad = true;
                    }
                }

                if (bad)
                {
                    continue;
                }

                interfaces.Add(new NetEntry(name, type, address, prefix, gateway, dns.ToArray(), forward.ToArray(), device, addresses6.ToArray(), forwardUdp.ToArray(),
                    gateway6)
                {
                    Origin = withGateway6 ? Field(10) : Field(9),
                });
            }

            return new NetTable(interfaces, errors);
        }

        // Why a platform has no network device. A sim program is one node of its simulation, alone
        // on the simulated switch, and without the native layer (none on sim) its BCL sockets would
        // be the host's: an interface there would carry nothing.
        private static string NoDeviceReason(string platform) =>
            platform == "sim"
                ? "it has none yet: a sim program is the only node of its simulation, with no peer on the simulated switch, and its sockets are not served on sim (no native layer)"
                : "it has none yet";

        // NOTE: Linux's interface names are at most 15 bytes (IFNAMSIZ 16 with its NUL).
        private static bool IsName(string name)
        {
            if (name.Length == 0 || name.Length > 15)
            {
                return false;
            }

            foreach (char c in name)
            {
                if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '-' && c != '_')
                {
                    return false;
                }
            }

            return true;
        }

        // Address6="auto" on passt: the kernel solicits passt's router advertisement and makes its
        // address from the advertised prefix and its MAC (SLAAC).
        public const string Auto6 = "auto";

        // Why one Address6 value ("2001:2::2/64") is not an address this interface can take, or null.
        private static string? CheckAddress6(string text)
        {
            int slash = text.IndexOf('/');
            if (slash < 0 || !TryParseAddress6(text.Substring(0, slash), out ulong high, out ulong low)
                || !int.TryParse(text.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
                || prefix < 1 || prefix > 128)
            {
                return "is not an IPv6 address with a prefix length from 1 to 128, such as 2001:2::2/64; list several with ',' between them";
            }

            // NOTE: RFC 4291, 2.5.2 (::), 2.5.3 (::1), 2.7 (ff00::/8), 2.5.6 (fe80::/10) and 2.5.5.2 (::ffff:0:0/96).
            if ((high == 0 && low == 0) || (high == 0 && low == 1))
            {
                return "is the unspecified or the loopback address; give a unicast address of the link, such as 2001:2::2/64";
            }

            if ((high >> 56) == 0xFF)
            {
                return "is a multicast address; give a unicast address of the link, such as 2001:2::2/64";
            }

            if ((high >> 54) == (0xFE80UL >> 6))
            {
                return "is link-local: the kernel makes the interface's link-local address from its MAC itself; give a global or unique-local address, such as 2001:2::2/64";
            }

            if (high == 0 && (low >> 32) == 0xFFFF)
            {
                return "is an IPv4-mapped address; give the IPv4 address in Address and an IPv6 one here, such as 2001:2::2/64";
            }

            return null;
        }

        // Why a Gateway6 value is not a next hop this interface reaches directly, or null: a unicast
        // address, link-local (as routers announce themselves, RFC 4861, 4.2) or inside the prefix
        // of one of the item's own addresses, and none of them.
        private static string? CheckGateway6(string text, List<string> addresses6)
        {
            if (addresses6.Count == 0)
            {
                return "needs Address6: give the interface an IPv6 address too, such as Address6=\"2001:2::2/64\" Gateway6=\"2001:2::1\"";
            }

            if (text.IndexOf('/') >= 0 || !TryParseAddress6(text, out ulong high, out ulong low))
            {
                return "is not an IPv6 address without a prefix length, such as 2001:2::1 or fe80::1";
            }

            if ((high == 0 && (low == 0 || low == 1 || (low >> 32) == 0xFFFF)) || (high >> 56) == 0xFF)
            {
                return "is not a unicast address of a host (it is unspecified, loopback, IPv4-mapped or multicast); give the router's address, such as 2001:2::1 or fe80::1";
            }

            if ((high >> 54) == (0xFE80UL >> 6))
            {
                return null;
            }

            foreach (string own in addresses6)
            {
                int slash = own.IndexOf('/');
                TryParseAddress6(own.Substring(0, slash), out ulong ownHigh, out ulong ownLow);
                int prefix = int.Parse(own.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
                if (ownHigh == high && ownLow == low)
                {
                    return "is the interface's own address (Address6 " + own + "); give the router's address";
                }

                ulong highMask = prefix >= 64 ? ulong.MaxValue : ~(ulong.MaxValue >> prefix);
                ulong lowMask = prefix <= 64 ? 0 : prefix == 128 ? ulong.MaxValue : ~(ulong.MaxValue >> (prefix - 64));
                if ((high & highMask) == (ownHigh & highMask) && (low & lowMask) == (ownLow & lowMask))
                {
                    return null;
                }
            }

            return "is not on the link: it is neither link-local (fe80::/10) nor inside the prefix of an Address6 (" + string.Join(", ", addresses6)
                + "); the next hop must be reachable directly";
        }

        // IPv6 text as RFC 4291, 2.2 writes it (hex groups, one "::", a dotted IPv4 tail), without a
        // zone or brackets, as its two 64-bit halves.
        public static bool TryParseAddress6(string text, out ulong high, out ulong low)
        {
            high = 0;
            low = 0;
            foreach (char c in text)
            {
                if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' && c != '.')
                {
                    return false;
                }
            }

            if (text.IndexOf(':') < 0 || !System.Net.IPAddress.TryParse(text, out var parsed)
                || parsed.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            byte[] bytes = parsed.GetAddressBytes();
            for (int index = 0; index < 8; index++)
            {
                high = (high << 8) | bytes[index];
                low = (low << 8) | bytes[index + 8];
            }

            return true;
        }

        // Dotted-quad IPv4 text: four decimal parts from 0 to 255, no leading zeros.
        public static bool TryParseAddress(string text, out uint value)
        {
            value = 0;
            string[] parts = text.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (string part in parts)
            {
                if (part.Length == 0 || part.Length > 3 || (part.Length > 1 && part[0] == '0')
                    || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int octet) || octet > 255)
                {
                    return false;
                }

                value = (value << 8) | (uint)octet;
            }

            return true;
        }
    }
}
