using System.Collections.Generic;
using Unikraft.Gen.Build;
using Xunit;

namespace Unikraft.Gen.Tests;

// UK0402: a microvm image has no OpenSSL to load, so an image that links OpenSSL's shim aborts at
// its first use of cryptography ("No usable version of libssl was found", seen booting one); the
// link says so when it sees CryptoNative_* imports on microvm, and nowhere else.
public sealed class NativeLayerOpenSslTests
{
    private static NativeLayerDecision Decide(params string[] undefined) =>
        new NativeLayerDecision(new HashSet<string>(), new HashSet<string>(undefined), new Dictionary<string, string>());

    [Fact]
    public void CryptoNativeImports_OnMicroVm_AreUK0402()
    {
        NativeLayerDecision decision = Decide("CryptoNative_SslCreate", "SystemNative_Read");

        Assert.True(decision.LinksOpenSsl);
        string? problem = decision.OpenSslProblem("microvm");
        Assert.NotNull(problem);
        Assert.Contains("a microvm has no OpenSSL to load", problem);
        Assert.Contains("docs/diagnostics/UK0402.md", problem);
    }

    [Theory]
    [InlineData("hosted")]
    [InlineData("sim")]
    public void CryptoNativeImports_Elsewhere_AreFine(string platform)
    {
        Assert.Null(Decide("CryptoNative_SslCreate").OpenSslProblem(platform));
    }

    [Fact]
    public void NoCryptoNativeImports_OnMicroVm_AreFine()
    {
        NativeLayerDecision decision = Decide("SystemNative_Read");

        Assert.False(decision.LinksOpenSsl);
        Assert.Null(decision.OpenSslProblem("microvm"));
    }
}
