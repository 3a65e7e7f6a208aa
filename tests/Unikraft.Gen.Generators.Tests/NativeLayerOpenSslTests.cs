using System.Collections.Generic;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// OpenSSL on microvm: the VM has no libssl.so.3 to load, so an image whose link imports OpenSSL's
// shim (CryptoNative_*) links OpenSSL statically (the publish's UnikraftMicroVmLinkOpenSsl). When
// it cannot (no cmake, no libssl-dev, StaticOpenSslLinking=false) the publish warns UK0402 with
// the reason, since such an image aborts at its first use of cryptography ("No usable version of
// libssl was found", seen booting one). Other platforms load the host's OpenSSL and are never
// linked statically by the kernel.
public sealed class NativeLayerOpenSslTests
{
    private const string NoCMake = "cmake, which compiles the BCL's OpenSSL shim for a static link, is not installed";

    private static NativeLayerDecision Decide(params string[] undefined) =>
        new NativeLayerDecision(new HashSet<string>(), new HashSet<string>(undefined), new Dictionary<string, string>());

    [Fact]
    public void CryptoNativeImports_OnMicroVm_LinkOpenSslStatically_WithoutUK0402()
    {
        NativeLayerDecision decision = Decide("CryptoNative_SslCreate", "SystemNative_Read");

        Assert.True(decision.LinksOpenSsl);
        Assert.True(decision.LinksOpenSslStatically("microvm", ""));
        Assert.Null(decision.OpenSslProblem("microvm", ""));
    }

    [Fact]
    public void CryptoNativeImports_OnMicroVm_WhenOpenSslCannotBeLinked_AreUK0402_WithTheReason()
    {
        NativeLayerDecision decision = Decide("CryptoNative_SslCreate", "SystemNative_Read");

        Assert.False(decision.LinksOpenSslStatically("microvm", NoCMake));
        string? problem = decision.OpenSslProblem("microvm", NoCMake);
        Assert.NotNull(problem);
        Assert.Contains("OpenSSL cannot be linked into the microvm image: " + NoCMake + ".", problem);
        Assert.Contains("No usable version of libssl was found", problem);
        Assert.Contains("docs/diagnostics/UK0402.md", problem);
    }

    [Theory]
    [InlineData("hosted")]
    [InlineData("sim")]
    public void CryptoNativeImports_Elsewhere_LoadTheHostsOpenSsl(string platform)
    {
        NativeLayerDecision decision = Decide("CryptoNative_SslCreate");

        Assert.False(decision.LinksOpenSslStatically(platform, ""));
        Assert.Null(decision.OpenSslProblem(platform, ""));
        Assert.Null(decision.OpenSslProblem(platform, NoCMake));
    }

    [Fact]
    public void NoCryptoNativeImports_OnMicroVm_LinkNoOpenSsl_AndAreFine()
    {
        NativeLayerDecision decision = Decide("SystemNative_Read");

        Assert.False(decision.LinksOpenSsl);
        Assert.False(decision.LinksOpenSslStatically("microvm", ""));
        Assert.Null(decision.OpenSslProblem("microvm", NoCMake));
    }
}
