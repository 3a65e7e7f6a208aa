namespace Unikraft.Gen.EndToEnd.Tests;

using Xunit;

// samples/Hello published with NativeAOT and its OCI image, as a user would:
// `dotnet publish samples/Hello -c Release -r linux-x64 -p:PublishAot=true -p:UnikraftImage=oci -o <folder>`,
// with the compiler's mstat file (what the image holds) for HelloPublishAotTests.
// A NativeAOT publish costs a minute or two, so the classes that look at it share this one.
// NOTE: NativeAOT links with the host's C toolchain: clang, or gcc when clang is not on PATH
// (Debian: gcc, libc6-dev, binutils). The zlib it needs ships inside the ILCompiler package.
public sealed class HelloAotPublish : SampleBuild
{
    public const string Collection = "Hello NativeAOT publish";

    public HelloAotPublish()
        : base("Hello", "aot", "publish", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-p:UnikraftImage=oci", "-p:IlcGenerateMstatFile=true", "-o", "{publish}")
    {
    }
}

[CollectionDefinition(HelloAotPublish.Collection)]
public sealed class HelloAotPublishCollection : ICollectionFixture<HelloAotPublish>
{
}
