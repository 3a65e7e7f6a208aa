using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Unikraft.Gen.Support;

namespace Unikraft.Gen.Analyzers;

// Checks the program's network calls against its network interfaces (<UnikraftNet> items):
//   UK0501  a constant address other than loopback, or a listener on every address, in a project
//           that declares no interface: only the kernel's loopback is there;
//   UK0502  an address computed at run time in a project that declares no interface (info);
//   UK0503  a TCP listener (TcpListener, HttpListener's prefix), or a UdpClient bound to a constant port, that no interface lets the
//           host reach: every interface is passt, and none forwards that port (Forward's "8080"
//           for TCP, "4009/udp" for UDP);
//   UK0504  a name lookup (a constant host name, or Dns with a computed one) when no interface lists
//           a name server.
// Network calls are the constructors and methods of the BCL's Socket, TcpClient, TcpListener,
// UdpClient, Dns and HttpClient whose arguments name an address, a host or a URL. It runs only in
// projects that use the generator (UnikraftNets is set), and says nothing while the items
// themselves are wrong (the generator's UKG0001 names those).
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetAnalyzer : DiagnosticAnalyzer
{
    private static readonly HashSet<string> NetTypes = new(StringComparer.Ordinal)
    {
        "System.Net.Sockets.Socket", "System.Net.Sockets.TcpClient", "System.Net.Sockets.TcpListener",
        "System.Net.Sockets.UdpClient", "System.Net.Dns", "System.Net.Http.HttpClient",
    };

    // Their simple names, checked first: Analyze runs for every call and construction.
    private static readonly HashSet<string> NetTypeNames = new(StringComparer.Ordinal)
    {
        "Socket", "TcpClient", "TcpListener", "UdpClient", "Dns", "HttpClient",
    };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.AddressWithNoInterface, DiagnosticDescriptors.AddressNotKnownWithNoInterface,
        DiagnosticDescriptors.PortNotForwarded, DiagnosticDescriptors.NameLookupWithNoServer);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var options = start.Options.AnalyzerConfigOptionsProvider.GlobalOptions;
            if (!options.TryGetValue("build_property.UnikraftNets", out string? text))
            {
                return;
            }

            string platform = options.TryGetValue("build_property.UnikraftPlatform", out string? value) && value.Length > 0 ? value : "hosted";
            NetTable table = NetTable.Parse(text, platform);
            if (table.Errors.Count > 0)
            {
                return;
            }

            start.RegisterOperationAction(c => Analyze(c, table), OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, NetTable table)
    {
        IMethodSymbol? method;
        ImmutableArray<IArgumentOperation> arguments;
        switch (context.Operation)
        {
            case IInvocationOperation invocation:
                method = invocation.TargetMethod;
                arguments = invocation.Arguments;
                break;
            case IObjectCreationOperation creation:
                method = creation.Constructor;
                arguments = creation.Arguments;
                break;
            default:
                return;
        }

        if (method?.ContainingType is { Name: "HttpListenerPrefixCollection" } prefixes && method.Name == "Add" && arguments.Length == 1
            && prefixes.ToDisplayString() == "System.Net.HttpListenerPrefixCollection")
        {
            CheckPrefix(context, table, arguments[0]);
            return;
        }

        if (method?.ContainingType is not { } type || !NetTypeNames.Contains(type.Name) || !NetTypes.Contains(type.ToDisplayString()))
        {
            return;
        }

        string display = method.MethodKind == MethodKind.Constructor ? "new " + type.Name : type.Name + "." + method.Name;
        bool listens = type.Name == "TcpListener" && method.MethodKind == MethodKind.Constructor;

        // A UdpClient made on a local port is bound there to receive: UdpClient(port),
        // UdpClient(port, family), UdpClient(localEP). UdpClient(hostname, port) connects out, and
        // passt lets the answers back in without a Forward.
        bool udp = type.Name == "UdpClient" && method.MethodKind == MethodKind.Constructor
            && method.Parameters.Length > 0 && method.Parameters[0].Name is "port" or "localEP";
        listens |= udp;
        bool lookup = type.Name == "Dns";
        foreach (IArgumentOperation argument in arguments)
        {
            if (argument.Parameter is not { } parameter || argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            Location location = argument.Syntax.GetLocation();
            if (listens && parameter.Type.SpecialType == SpecialType.System_Int32 && parameter.Name == "port")
            {
                CheckForwarded(context, table, location, display, argument.Value.ConstantValue, udp);
                continue;
            }

            if (!NamesAnAddress(parameter))
            {
                continue;
            }

            Address address = Address.Of(argument.Value);
            if (listens && address.Port is int port)
            {
                CheckForwarded(context, table, location, display, new Optional<object?>(port), udp);
            }

            if (table.Interfaces.Count == 0 && !lookup)
            {
                if (address.Kind == AddressKind.Computed)
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AddressNotKnownWithNoInterface, location, display));
                }
                else if (address.Kind != AddressKind.Loopback)
                {
                    string what = address.Kind == AddressKind.Every ? "listens on every address" : "reaches " + address.Text;
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AddressWithNoInterface, location, display, what));
                }

                continue;
            }

            // A host name (not an address, not localhost) is looked up through the kernel's resolver.
            bool name = address.Kind == AddressKind.Name || (lookup && address.Kind == AddressKind.Computed && address.MayBeName);
            if (name && !HasNameServer(table))
            {
                string what = address.Kind == AddressKind.Name ? "'" + address.Text + "'" : "a name computed at run time";
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NameLookupWithNoServer, location, display, what));
            }
        }
    }

    // Parameters that carry a peer's or a local address: an IPAddress, an end point, a URL, or a
    // host name (the BCL names those string parameters so).
    private static bool NamesAnAddress(IParameterSymbol parameter)
    {
        string typeName = parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "").TrimEnd('?');
        switch (typeName)
        {
            case "System.Net.IPAddress":
            case "System.Net.IPEndPoint":
            case "System.Net.EndPoint":
            case "System.Uri":
                return true;
            case "string":
            case "System.String":
                return parameter.Name is "hostname" or "host" or "hostNameOrAddress" or "requestUri";
            default:
                return false;
        }
    }

    private static bool HasNameServer(NetTable table)
    {
        foreach (NetEntry entry in table.Interfaces)
        {
            if (entry.Dns.Length > 0)
            {
                return true;
            }
        }

        return false;
    }

    // HttpListener's Prefixes.Add("http://+:8080/"): a constant prefix names the TCP port the
    // listener takes (80 or 443 when it gives none).
    private static void CheckPrefix(OperationAnalysisContext context, NetTable table, IArgumentOperation argument)
    {
        if (argument.Value.ConstantValue is not { HasValue: true, Value: string prefix })
        {
            return;
        }

        // HttpListener's own hosts, "+" and "*", are not host names Uri takes.
        int scheme = prefix.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return;
        }

        string rest = prefix.Substring(scheme + 3);
        string host = rest.Split('/')[0];
        string wildcard = host.StartsWith("+", StringComparison.Ordinal) || host.StartsWith("*", StringComparison.Ordinal) ? "localhost" + host.Substring(1) : host;
        if (!Uri.TryCreate(prefix.Substring(0, scheme + 3) + wildcard + "/", UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            return;
        }

        CheckForwarded(context, table, argument.Syntax.GetLocation(), "HttpListener.Prefixes.Add", new Optional<object?>(uri.Port), false);
    }

    private static void CheckForwarded(OperationAnalysisContext context, NetTable table, Location location, string display, Optional<object?> port, bool udp)
    {
        if (!port.HasValue || port.Value is not int number || number <= 0 || table.Interfaces.Count == 0)
        {
            return;
        }

        var forwarded = new List<string>();
        foreach (NetEntry entry in table.Interfaces)
        {
            if (entry.Type != "passt" || Array.IndexOf(udp ? entry.ForwardUdp : entry.Forward, number) >= 0)
            {
                // A TAP interface is reached directly, and a forwarded port through passt.
                return;
            }

            forwarded.AddRange(Array.ConvertAll(entry.Forward, p => p.ToString(CultureInfo.InvariantCulture)));
            forwarded.AddRange(Array.ConvertAll(entry.ForwardUdp, p => p.ToString(CultureInfo.InvariantCulture) + "/udp"));
        }

        string ports = forwarded.Count == 0 ? "none" : string.Join(",", forwarded);
        string listened = number.ToString(CultureInfo.InvariantCulture) + (udp ? "/udp" : "");
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PortNotForwarded, location, display,
            listened, ports, table.Interfaces[0].Name));
    }

    private enum AddressKind
    {
        Computed = 0,
        Loopback = 1,
        Every = 2,
        Numeric = 3,
        Name = 4,
    }

    // What an address argument is, when the code says it in constants: a literal, a const, one of
    // IPAddress's fields, IPAddress.Parse of a constant, a new IPEndPoint or Uri of those.
    private readonly struct Address
    {
        private Address(AddressKind kind, string text, int? port, bool mayBeName)
        {
            Kind = kind;
            Text = text;
            Port = port;
            MayBeName = mayBeName;
        }

        public AddressKind Kind { get; }

        public string Text { get; }

        // An end point's constant port.
        public int? Port { get; }

        // A computed string or Uri may hold a host name; a computed IPAddress cannot.
        public bool MayBeName { get; }

        public static Address Of(IOperation value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            if (value.ConstantValue is { HasValue: true, Value: string text })
            {
                return OfText(text);
            }

            switch (value)
            {
                case IFieldReferenceOperation { Field: { IsStatic: true } field } when field.ContainingType?.Name == "IPAddress":
                    return field.Name switch
                    {
                        "Loopback" or "IPv6Loopback" => new Address(AddressKind.Loopback, field.Name, null, false),
                        "Any" or "IPv6Any" => new Address(AddressKind.Every, field.Name, null, false),
                        _ => new Address(AddressKind.Numeric, "IPAddress." + field.Name, null, false),
                    };
                case IInvocationOperation { TargetMethod: { Name: "Parse", ContainingType.Name: "IPAddress" } } parse
                    when parse.Arguments.Length == 1 && parse.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string parsed }:
                    return OfText(parsed);
                case IObjectCreationOperation { Constructor.ContainingType.Name: "IPEndPoint" } endPoint when endPoint.Arguments.Length == 2:
                    Address inner = Of(endPoint.Arguments[0].Value);
                    int? port = endPoint.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int number } ? number : null;
                    return new Address(inner.Kind, inner.Text, port, false);
                case IObjectCreationOperation { Constructor.ContainingType.Name: "Uri" } uri
                    when uri.Arguments.Length >= 1 && uri.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string url }:
                    return OfText(url);
            }

            string typeName = value.Type?.Name ?? "";
            return new Address(AddressKind.Computed, "", null, typeName is "String" or "Uri" || value.Type is null);
        }

        private static Address OfText(string text)
        {
            string host = text.Trim();
            int scheme = host.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0)
            {
                host = host.Substring(scheme + 3);
                int end = host.IndexOfAny(new[] { '/', '?', '#' });
                host = end < 0 ? host : host.Substring(0, end);
                int at = host.LastIndexOf('@');
                host = at < 0 ? host : host.Substring(at + 1);
                if (host.StartsWith("[", StringComparison.Ordinal))
                {
                    int close = host.IndexOf(']');
                    host = close < 0 ? host : host.Substring(1, close - 1);
                }
                else
                {
                    int colon = host.IndexOf(':');
                    host = colon < 0 ? host : host.Substring(0, colon);
                }
            }

            string lower = host.ToLowerInvariant().TrimEnd('.');
            if (lower == "localhost" || lower.EndsWith(".localhost", StringComparison.Ordinal) || lower == "::1" || IsIpv4(lower, out byte first) && first == 127)
            {
                return new Address(AddressKind.Loopback, host, null, false);
            }

            if (lower is "0.0.0.0" or "::" or "*" or "+")
            {
                return new Address(AddressKind.Every, host, null, false);
            }

            return IsIpv4(lower, out _) || lower.IndexOf(':') >= 0
                ? new Address(AddressKind.Numeric, host, null, false)
                : new Address(AddressKind.Name, host, null, false);
        }

        private static bool IsIpv4(string text, out byte first)
        {
            first = 0;
            string[] parts = text.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            for (int i = 0; i < 4; i++)
            {
                if (!byte.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out byte part))
                {
                    return false;
                }

                if (i == 0)
                {
                    first = part;
                }
            }

            return true;
        }
    }
}
