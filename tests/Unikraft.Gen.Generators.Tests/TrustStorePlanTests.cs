using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Unikraft.Gen.Tests;

// The host's trust store: a hosted program on the native layer that names a TLS client (HttpClient,
// SslStream, ...) validates certificate chains, which the BCL lists through the kernel's VFS and
// OpenSSL reads from the host by the same path. The plan mounts the store read-only at its host
// path, the manifest says which call sites need it, and the confinement lets OpenSSL read it.
public sealed class TrustStorePlanTests
{
    [Theory]
    [InlineData("using var client = new System.Net.Http.HttpClient();\nSystem.Console.WriteLine(await client.GetStringAsync(args[0]));", "System.Net.Http.HttpClient")]
    [InlineData("using var tcp = new System.Net.Sockets.TcpClient(\"198.18.0.1\", 443);\nusing var ssl = new System.Net.Security.SslStream(tcp.GetStream());\nssl.AuthenticateAsClient(\"web.test\");", "System.Net.Security.SslStream")]
    public void TlsClient_OnHosted_MountsTheHostsTrustStore_AndConfinementLetsOpenSslReadIt(string program, string type)
    {
        GeneratorHarness.Result result = Run(program, Jit());

        Assert.Empty(result.Problems);
        string boot = result.Source("Unikraft.Boot.g.cs");
        Assert.Contains("string[] trustStore = global::Unikraft.Kernel.HostedTrustStore.Mount(kernel);", boot);
        Assert.Matches("HostedConfinement\\.Install\\(kernel, [^;]*HostedConfinement\\.HostFolders[^;]*, trustStore\\);", boot);
        Assert.True(boot.IndexOf("HostedTrustStore.Mount", System.StringComparison.Ordinal) < boot.IndexOf("HostedConfinement.Install", System.StringComparison.Ordinal));
        Assert.Contains("//   /etc/ssl/certs  hostfs, read-only, the host's trust store /etc/ssl/certs and the folders of SSL_CERT_FILE and SSL_CERT_DIR at boot, each at its host path\n", result.Manifest);
        Assert.Matches("//       Program\\.cs:\\d+  " + Regex.Escape(type) + " validates TLS certificates against the trusted roots", result.Manifest);
        Assert.Contains("hostfs", result.Section("Libraries"));
        Assert.Contains("OpenSSL's reads of the trusted roots by path, beneath the trust store's folders and " + KernelGenerator.Emit.ConfinementTrustStoreLinks, result.Manifest);
        Assert.Contains(", the trust store's folders (read only), " + KernelGenerator.Emit.ConfinementTrustStoreLinks + "; elsewhere", result.Manifest);

        // The manifest's list of where the store's links lead is the kernel's own.
        string store = result.Source("Kernel/Platform/Hosted/HostedTrustStore.g.cs");
        int table = store.IndexOf(" LinkTargets =", System.StringComparison.Ordinal);
        Assert.Equal(KernelGenerator.Emit.ConfinementTrustStoreLinks.Split(", "),
            Regex.Matches(store.Substring(table, store.IndexOf("};", table, System.StringComparison.Ordinal) - table), "\"([^\"]+)\"").Select(m => m.Groups[1].Value));
    }

    [Fact]
    public void PlainTcpClient_MountsNoTrustStore()
    {
        GeneratorHarness.Result result = Run("using var tcp = new System.Net.Sockets.TcpClient(\"198.18.0.1\", 80);", Jit());

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("HostedTrustStore", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("/etc/ssl/certs", result.Manifest);
        Assert.DoesNotContain(result.Run.Results.Single().GeneratedSources, s => s.HintName.Contains("HostedTrustStore", System.StringComparison.Ordinal));
    }

    // Without the native layer the BCL's files and sockets are not the kernel's (UK0001 says so for
    // HttpClient), and a simulation has no host to take roots from.
    [Theory]
    [InlineData("UnikraftNativeLayer", "false")]
    [InlineData("UnikraftPlatform", "sim")]
    public void WithoutTheNativeLayerOrOnSim_NoTrustStore(string property, string value)
    {
        Dictionary<string, string> properties = Jit();
        properties[property] = value;
        GeneratorHarness.Result result = Run("using var client = new System.Net.Http.HttpClient();\nSystem.Console.WriteLine(client.Timeout);", properties);

        Assert.DoesNotContain("HostedTrustStore", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("/etc/ssl/certs", result.Manifest);
    }

    // A mount of the program's own at the store's folder or above it is its trust store; under a
    // hostfs root the mount point would be made in the program's host folder.
    [Theory]
    [InlineData("/|ramfs|||>/etc/ssl/certs|ramfs|||")]
    [InlineData("/|ramfs|||>/etc|ramfs|||")]
    [InlineData("/|hostfs|/tmp|false|")]
    public void TheProgramsOwnMount_IsNotMountedOver(string mounts)
    {
        Dictionary<string, string> properties = Jit();
        properties["UnikraftMounts"] = mounts;
        GeneratorHarness.Result result = Run("using var client = new System.Net.Http.HttpClient();\nSystem.Console.WriteLine(client.Timeout);", properties);

        Assert.Empty(result.Problems);
        Assert.DoesNotContain("HostedTrustStore", result.Source("Unikraft.Boot.g.cs"));
        Assert.DoesNotContain("the host's trust store", result.Manifest);
    }

    private static GeneratorHarness.Result Run(string program, Dictionary<string, string> properties) =>
        GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ("Program.cs", program) }), properties);

    private static Dictionary<string, string> Jit() => new()
    {
        ["UnikraftBootBanner"] = "false",
        ["UnikraftNets"] = "",
        ["UnikraftNativeLayer"] = "true",
        ["UnikraftNativeSlots"] = "true",
    };
}
