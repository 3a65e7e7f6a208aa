using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Unikraft.Gen.Helpers;
using Unikraft.Gen.Model;

namespace Unikraft.Gen
{
    public sealed partial class KernelGenerator
    {
        // Net: which transports the program's sockets need, and whether TCP's passive side (listen). The BCL makes every socket through one
        // native function (SystemNative_Socket), so neither the link's imports nor the native layer's
        // entry points say TCP or UDP; the types that make sockets do. A program that names
        // TcpListener gets TCP and no UDP, one that names UdpClient the reverse, and a Socket it
        // makes itself both. A referenced library counts by the types its code refers to (its
        // metadata's type references), whatever its name. Sockets that nothing explains (the link
        // imports the socket functions, and no type names a protocol) bring both: a kernel never
        // refuses a socket the plan could not rule out.
        internal static class Net
        {
            public const int Tcp = 1;
            public const int Udp = 2;

            // TCP's passive side (listen, accept, the SYN queue): a client's kernel has none.
            public const int TcpListen = 4;

            // The transports a network type makes sockets over; 0 for a type that makes none (Dns:
            // the kernel's resolver brings its own UDP, IPAddress, SocketException).
            public static int Protocols(string type)
            {
                switch (type)
                {
                    case "System.Net.Sockets.Socket":
                        return Tcp | Udp | TcpListen;
                    case "System.Net.Sockets.TcpListener":
                    case "System.Net.HttpListener":
                    case "Microsoft.AspNetCore.Builder.WebApplication":
                    case "Microsoft.AspNetCore.WebHost":
                        return Tcp | TcpListen;
                    case "System.Net.Sockets.TcpClient":
                    case "System.Net.Http.HttpClient":
                    case "System.Net.Http.HttpClientHandler":
                    case "System.Net.Http.SocketsHttpHandler":
                    case "System.Net.WebClient":
                    case "System.Net.WebRequest":
                    case "System.Net.HttpWebRequest":
                    case "System.Net.WebSockets.ClientWebSocket":
                    case "System.Net.Mail.SmtpClient":
                        return Tcp;
                    case "System.Net.Sockets.UdpClient":
                        return Udp;
                }

                // ASP.NET Core's server and hosting (a library that starts Kestrel its own way).
                return type.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal)
                    || type.StartsWith("Microsoft.AspNetCore.Hosting.WebHost", StringComparison.Ordinal)
                    ? Tcp | TcpListen
                    : 0;
            }

            // The types that validate a server's certificate chain, and so read the trusted roots
            // (Plan.TrustStore): the TLS clients. Kestrel's HTTPS presents a certificate and reads
            // no trust store unless it asks for client certificates, which it validates itself.
            public static bool ValidatesCertificates(string type)
            {
                switch (type)
                {
                    case "System.Net.Security.SslStream":
                    case "System.Net.Http.HttpClient":
                    case "System.Net.Http.HttpClientHandler":
                    case "System.Net.Http.SocketsHttpHandler":
                    case "System.Net.WebClient":
                    case "System.Net.WebRequest":
                    case "System.Net.HttpWebRequest":
                    case "System.Net.WebSockets.ClientWebSocket":
                    case "System.Net.Mail.SmtpClient":
                        return true;
                    default:
                        return false;
                }
            }

            // The types whose use may watch files (inotify, which the BCL reaches only through the
            // native layer's INotify functions): FileSystemWatcher, and what makes one where the
            // scan of referenced libraries cannot see it, the shared framework's own code: its
            // PhysicalFileProvider (the generic host's and ASP.NET Core's reload of appsettings.json),
            // which a program reaches through the file providers, the host or ASP.NET Core.
            public static bool Watches(string type) =>
                type == "System.IO.FileSystemWatcher"
                || type.StartsWith("Microsoft.Extensions.FileProviders.", StringComparison.Ordinal)
                || type.StartsWith("Microsoft.Extensions.Hosting.", StringComparison.Ordinal)
                || type.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal);

            // A type that watches files and makes no sockets (FileSystemWatcher, the file providers,
            // the generic host): it does not bring the socket functions.
            public static bool WatchesOnly(string type) => Watches(type) && !type.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal);

            // The program's names, once per type and place, in a stable order.
            public static EquatableArray<NetTypeUse> Distinct(ImmutableArray<NetTypeUse> uses)
            {
                var set = new SortedSet<NetTypeUse>(Comparer<NetTypeUse>.Create(Compare));
                foreach (NetTypeUse use in uses)
                {
                    set.Add(use);
                }

                return set.ToEquatableArray();
            }

            private static int Compare(NetTypeUse x, NetTypeUse y)
            {
                int order = string.CompareOrdinal(x.Type, y.Type);
                order = order != 0 ? order : string.CompareOrdinal(x.Library, y.Library);
                order = order != 0 ? order : string.CompareOrdinal(x.File, y.File);
                return order != 0 ? order : x.Line.CompareTo(y.Line);
            }

            // The network types each referenced library (not the shared framework's assemblies)
            // refers to and that make sockets, and the types that watch files.
            public static EquatableArray<NetTypeUse> ReadLibraries(Compilation compilation, CancellationToken cancellationToken)
            {
                var uses = new List<NetTypeUse>();
                foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Libraries.IsFramework(compilation, assembly))
                    {
                        continue;
                    }

                    string[] types = s_libraryTypes.GetValue(assembly, a => new StrongBox<string[]>(SocketTypesOf(compilation, a))).Value!;
                    foreach (string type in types)
                    {
                        uses.Add(new NetTypeUse(type, assembly.Identity.Name, "", 0));
                    }
                }

                return Distinct(uses.ToImmutableArray());
            }

            private static readonly ConditionalWeakTable<IAssemblySymbol, StrongBox<string[]>> s_libraryTypes =
                new ConditionalWeakTable<IAssemblySymbol, StrongBox<string[]>>();

            // The metadata's type references (a netstandard library's too: a reference names the
            // type's namespace and name, whichever assembly forwards it). An assembly that cannot be
            // read is taken to make no sockets; the link's imports still bring both transports then.
            private static string[] SocketTypesOf(Compilation compilation, IAssemblySymbol assembly)
            {
                try
                {
                    if (compilation.GetMetadataReference(assembly) is not PortableExecutableReference reference
                        || reference.GetMetadata() is not AssemblyMetadata metadata)
                    {
                        return Array.Empty<string>();
                    }

                    var types = new SortedSet<string>(StringComparer.Ordinal);
                    foreach (ModuleMetadata module in metadata.GetModules())
                    {
                        MetadataReader reader = module.GetMetadataReader();
                        foreach (TypeReferenceHandle handle in reader.TypeReferences)
                        {
                            TypeReference type = reader.GetTypeReference(handle);
                            string name = reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
                            if (Protocols(name) != 0 || Watches(name) || ValidatesCertificates(name))
                            {
                                types.Add(name);
                            }
                        }
                    }

                    return new List<string>(types).ToArray();
                }
                catch (Exception exception) when (exception is BadImageFormatException || exception is System.IO.IOException || exception is InvalidOperationException)
                {
                    return Array.Empty<string>();
                }
            }

            // The transport features (Tcp, Udp) of a plan whose kernel has sockets, each with why.
            public static void AddTransports(SortedDictionary<string, SortedSet<(string File, int Line, string Text)>> features,
                EquatableArray<NetTypeUse> types, string projectDirectory)
            {
                if (!features.TryGetValue("Sockets", out SortedSet<(string File, int Line, string Text)>? sockets))
                {
                    return;
                }

                bool named = false;
                foreach (NetTypeUse use in types)
                {
                    int protocols = Protocols(use.Type);
                    named |= protocols != 0;
                    (string, int, string) reason = use.Library is null
                        ? (Plan.Relative(use.File, projectDirectory), use.Line, "makes sockets: " + use.Type)
                        : ("[" + use.Library + "]", 0, "makes sockets: " + use.Type + " (used by library " + use.Library + ")");
                    if ((protocols & Tcp) != 0)
                    {
                        Add(features, "Tcp", reason);
                    }

                    if ((protocols & Udp) != 0)
                    {
                        Add(features, "Udp", reason);
                    }

                    if ((protocols & TcpListen) != 0)
                    {
                        Add(features, "TcpListen", reason);
                    }
                }

                // Sockets no type explains (the link imports the socket functions for code that names
                // none of the types above, or only types that make no sockets themselves): both.
                if (!named)
                {
                    foreach ((string file, int line, string text) in sockets)
                    {
                        string reason = "sockets whose protocol nothing names: " + text;
                        Add(features, "Tcp", (file, line, reason));
                        Add(features, "Udp", (file, line, reason));
                        Add(features, "TcpListen", (file, line, reason));
                        break;
                    }
                }
            }

            private static void Add(SortedDictionary<string, SortedSet<(string File, int Line, string Text)>> features, string feature, (string, int, string) reason)
            {
                if (!features.TryGetValue(feature, out SortedSet<(string File, int Line, string Text)>? set))
                {
                    set = new SortedSet<(string File, int Line, string Text)>();
                    features.Add(feature, set);
                }

                set.Add(reason);
            }
        }
    }
}
