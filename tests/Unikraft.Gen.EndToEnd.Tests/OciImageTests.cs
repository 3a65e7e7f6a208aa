namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Unikraft.Gen.Build;
using Xunit;

// The OCI image that `dotnet publish -p:PublishAot=true -p:UnikraftImage=oci` writes beside the
// native binary (OciImage.cs), looked at from outside: its layout read with the JSON and tar
// readers of .NET and copied by skopeo (which checks every blob's digest), its files compared
// with what ldd says the binary loads, its bytes made again from the same inputs, and the image
// unpacked by umoci into a bundle that runc starts.
[Collection(HelloAotPublish.Collection)]
public sealed class OciImageTests
{
    private const string Tag = "1.0.0";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(3);

    private readonly HelloAotPublish publish;

    public OciImageTests(HelloAotPublish publish)
    {
        this.publish = publish;
    }

    private string ImageFolder => Path.Combine(publish.PublishPath, "oci");

    [Fact]
    public void Layout_HasOneManifestConfigAndLayer_WithTheDigestsAndSizesOfTheirBytes()
    {
        publish.EnsureSucceeded();
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(ImageFolder, "oci-layout")));
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(ImageFolder, "index.json")));
        JsonElement entry = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(Tag, entry.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", entry.GetProperty("mediaType").GetString());

        using JsonDocument manifest = JsonDocument.Parse(Blob(entry));
        JsonElement config = manifest.RootElement.GetProperty("config");
        Assert.Equal("application/vnd.oci.image.config.v1+json", config.GetProperty("mediaType").GetString());
        JsonElement layer = Assert.Single(manifest.RootElement.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layer.GetProperty("mediaType").GetString());

        // The blobs are exactly these three, and diff_ids names the layer's uncompressed bytes.
        string[] blobs = Directory.GetFiles(Path.Combine(ImageFolder, "blobs", "sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        string[] described = new[] { entry, config, layer }.Select(d => d.GetProperty("digest").GetString()!.Substring(7)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(described, blobs);
        using JsonDocument image = JsonDocument.Parse(Blob(config));
        Assert.Equal("amd64", image.RootElement.GetProperty("architecture").GetString());
        Assert.Equal("linux", image.RootElement.GetProperty("os").GetString());
        string diffId = Assert.Single(image.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray()).GetString()!;
        Assert.Equal(Digest(Gunzip(Blob(layer))), diffId);
        JsonElement settings = image.RootElement.GetProperty("config");
        Assert.Equal("/app/Hello", Assert.Single(settings.GetProperty("Entrypoint").EnumerateArray()).GetString());
        Assert.Equal("hello", settings.GetProperty("Labels").GetProperty("org.opencontainers.image.title").GetString());
    }

    [Fact]
    public void Layer_HoldsTheBinary_AndExactlyTheFilesLddSaysItLoads()
    {
        publish.EnsureSucceeded();
        string binary = Path.Combine(publish.PublishPath, "Hello");
        Dictionary<string, byte[]> files = LayerFiles();

        // ldd (libc-bin) lists what the loader maps for the binary: "libc.so.6 => /lib/.../libc.so.6 (0x...)"
        // and the interpreter as "/lib64/ld-linux-x86-64.so.2 (0x...)".
        CommandResult ldd = Command.Run("ldd", [binary], publish.Folder, ToolTimeout);
        Assert.True(ldd.ExitCode == 0, ldd.Describe());
        var expected = new SortedSet<string>(StringComparer.Ordinal) { "/app/Hello" };
        foreach (string line in ldd.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Match match = Regex.Match(line, @"^(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$");
            if (match.Success)
            {
                expected.Add(match.Groups[1].Value);
            }
        }
        Assert.True(expected.Count >= 3, "ldd named too little: " + ldd.StandardOutput);

        // Unless the program is built with invariant globalization, the runtime opens ICU by name
        // (dlopen, not in DT_NEEDED): the newest libicuuc.so.N and libicui18n.so.N that ldconfig
        // knows, with what ldd says they load.
        if (!InvariantGlobalization())
        {
            CommandResult cache = Command.Run("/sbin/ldconfig", ["-p"], publish.Folder, ToolTimeout);
            Assert.True(cache.ExitCode == 0, cache.Describe());
            var versions = Regex.Matches(cache.StandardOutput, @"libicuuc\.so\.(\d+) \(libc6,x86-64\) => (\S+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.True(versions.Count > 0, "No ICU on this machine, so the publish should have failed: " + cache.StandardOutput);
            int newest = versions.Max();
            foreach (string name in new[] { "libicuuc.so." + newest, "libicui18n.so." + newest })
            {
                string path = Regex.Match(cache.StandardOutput, Regex.Escape(name) + @" \(libc6,x86-64\) => (\S+)").Groups[1].Value;
                expected.Add(path);
                CommandResult loads = Command.Run("ldd", [path], publish.Folder, ToolTimeout);
                foreach (Match match in Regex.Matches(loads.StandardOutput, @"(?m)^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$"))
                {
                    expected.Add(match.Groups[1].Value);
                }
            }
        }

        Assert.Equal(expected, new SortedSet<string>(files.Keys, StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(binary), files["/app/Hello"]);
        foreach (string library in expected.Where(path => path != "/app/Hello"))
        {
            Assert.True(File.ReadAllBytes(library).AsSpan().SequenceEqual(files[library]), library + " differs from the host's");
        }
    }

    [Fact]
    public void SeccompProfile_IsTheKernelsConfinement_InTheConfigLabelsAndBesideTheBinary()
    {
        publish.EnsureSucceeded();
        string profile = File.ReadAllText(Path.Combine(publish.PublishPath, "Hello.seccomp.json"));
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(ImageFolder, "index.json")));
        using JsonDocument manifest = JsonDocument.Parse(Blob(index.RootElement.GetProperty("manifests")[0]));
        using JsonDocument image = JsonDocument.Parse(Blob(manifest.RootElement.GetProperty("config")));
        Assert.Equal(profile, image.RootElement.GetProperty("config").GetProperty("Labels").GetProperty(OciImage.SeccompLabel).GetString());

        // Every call the manifest's confinement refuses is refused by the profile, with EPERM,
        // except execve, which runc makes to start the program after applying the profile.
        string kernel = File.ReadAllText(publish.OutputFile("Hello.kernel.txt"));
        string refused = kernel.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(SeccompProfile.ManifestLine, StringComparison.Ordinal))
            .Substring(SeccompProfile.ManifestLine.Length);
        using JsonDocument parsed = JsonDocument.Parse(profile);
        Assert.Equal("SCMP_ACT_ALLOW", parsed.RootElement.GetProperty("defaultAction").GetString());
        JsonElement[] rules = parsed.RootElement.GetProperty("syscalls").EnumerateArray().ToArray();
        Assert.All(rules, rule => Assert.Equal("SCMP_ACT_ERRNO", rule.GetProperty("action").GetString()));
        Assert.All(rules, rule => Assert.Equal(1, rule.GetProperty("errnoRet").GetInt32()));
        string[] plain = rules.Where(r => !r.TryGetProperty("args", out _)).SelectMany(r => r.GetProperty("names").EnumerateArray()).Select(n => n.GetString()!).ToArray();
        string[] fromManifest = refused.Split(',').Select(s => s.Trim()).Where(s => s != "execve" && s != "clone without CLONE_THREAD").ToArray();
        Assert.Equal(fromManifest.Order(StringComparer.Ordinal), plain.Order(StringComparer.Ordinal));
        Assert.Contains("clone without CLONE_THREAD", refused, StringComparison.Ordinal);
        JsonElement clone = Assert.Single(rules, r => r.TryGetProperty("args", out _));
        Assert.Equal("clone", Assert.Single(clone.GetProperty("names").EnumerateArray()).GetString());
        JsonElement argument = Assert.Single(clone.GetProperty("args").EnumerateArray());
        Assert.Equal("SCMP_CMP_MASKED_EQ", argument.GetProperty("op").GetString());
        Assert.Equal(0x10000, argument.GetProperty("value").GetInt32());
        Assert.Equal(0, argument.GetProperty("valueTwo").GetInt32());
    }

    [Fact]
    public void SameInputs_GiveTheSameBytes()
    {
        publish.EnsureSucceeded();
        string again = Path.Combine(publish.Folder, "oci-again");
        var request = new OciImageRequest
        {
            Binary = Path.Combine(publish.PublishPath, "Hello"),
            EntryPath = "/app/Hello",
            Name = "hello",
            Tag = Tag,
            SeccompProfile = SeccompProfile.FromManifest(File.ReadAllText(publish.OutputFile("Hello.kernel.txt"))),
            LibraryFolders = LoaderClosure.SystemFolders(),
            Globalization = !InvariantGlobalization(),
        };

        OciImage.Write(request, again);

        string[] written = Directory.GetFiles(ImageFolder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(ImageFolder, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(written, Directory.GetFiles(again, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(again, f)).Order(StringComparer.Ordinal).ToArray());
        foreach (string file in written)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(ImageFolder, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, file))), file + " differs");
        }
    }

    [ContainerToolsFact]
    public void Skopeo_CopiesTheImage_CheckingEveryDigest()
    {
        publish.EnsureSucceeded();
        ContainerTools.Require();
        string copy = Path.Combine(publish.Folder, "oci-copy");
        CommandResult result = Command.Run(ContainerTools.Find("skopeo")!, ["copy", "oci:" + ImageFolder + ":" + Tag, "oci:" + copy + ":" + Tag], publish.Folder, ToolTimeout);

        Assert.True(result.ExitCode == 0, result.Describe());
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(ImageFolder, "index.json")));
        string digest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        Assert.True(File.Exists(Path.Combine(copy, "blobs", "sha256", digest.Substring(7))), "skopeo's copy has no manifest " + digest);
    }

    [ContainerToolsFact]
    public void Runc_StartsTheUnpackedImage_WhichPrintsTheGreeting_UnderTheProfile()
    {
        publish.EnsureSucceeded();
        ContainerTools.Require();
        string bundle = Path.Combine(publish.Folder, "bundle");

        // The helper target: umoci unpack, then linux.seccomp from the image's label.
        CommandResult unpack = Command.Dotnet(ToolTimeout, null, "msbuild", "samples/Hello/Hello.csproj", "-t:UnikraftOciBundle", "-nologo", "-nodeReuse:false",
            "-p:UnikraftImagePath=" + ImageFolder, "-p:UnikraftBundle=" + bundle);
        Assert.True(unpack.ExitCode == 0, unpack.Describe());
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "config.json"))))
        {
            Assert.Equal(File.ReadAllText(Path.Combine(publish.PublishPath, "Hello.seccomp.json")),
                JsonSerializer.Serialize(config.RootElement.GetProperty("linux").GetProperty("seccomp")));
            Assert.False(config.RootElement.GetProperty("process").GetProperty("terminal").GetBoolean());
            Assert.Equal("/app/Hello", Assert.Single(config.RootElement.GetProperty("process").GetProperty("args").EnumerateArray()).GetString());
        }

        string container = "unikraft-e2e-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        CommandResult run = Command.Run(ContainerTools.Find("runc")!, ["run", "--bundle", bundle, container], publish.Folder, ToolTimeout);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal("Hello, world!\n", run.StandardOutput);
        Assert.StartsWith("Unikraft.Gen kernel (hosted) for Hello", run.StandardError, StringComparison.Ordinal);
    }

    // What the build told the runtime (System.Globalization.Invariant in the runtime config).
    private bool InvariantGlobalization()
    {
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(publish.OutputFile("Hello.runtimeconfig.json")));
        return config.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out JsonElement properties)
            && properties.TryGetProperty("System.Globalization.Invariant", out JsonElement invariant) && invariant.ValueKind == JsonValueKind.True;
    }

    private byte[] Blob(JsonElement descriptor)
    {
        string digest = descriptor.GetProperty("digest").GetString()!;
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        byte[] bytes = File.ReadAllBytes(Path.Combine(ImageFolder, "blobs", "sha256", digest.Substring(7)));
        Assert.Equal(digest, Digest(bytes));
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), bytes.LongLength);
        return bytes;
    }

    // The layer's regular files by absolute path; its entries are folders and files only.
    private Dictionary<string, byte[]> LayerFiles()
    {
        using JsonDocument index = JsonDocument.Parse(File.ReadAllText(Path.Combine(ImageFolder, "index.json")));
        using JsonDocument manifest = JsonDocument.Parse(Blob(index.RootElement.GetProperty("manifests")[0]));
        byte[] layer = Blob(manifest.RootElement.GetProperty("layers")[0]);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(Gunzip(layer)));
        while (reader.GetNextEntry() is TarEntry entry)
        {
            Assert.True(entry.EntryType is TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.V7RegularFile, entry.Name + " is a " + entry.EntryType);
            Assert.Equal(0, entry.Uid);
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            if (entry.EntryType != TarEntryType.Directory)
            {
                using var content = new MemoryStream();
                entry.DataStream!.CopyTo(content);
                files.Add("/" + entry.Name, content.ToArray());
            }
        }
        return files;
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }
        return output.ToArray();
    }

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}

// umoci, skopeo and runc (Debian packages of those names), and root for runc. Without them the
// tests that need them are skipped with the reason; under CI (.ci/run installs them and runs as
// root) they run and fail instead.
internal static class ContainerTools
{
    private static readonly string[] Tools = ["umoci", "skopeo", "runc"];

    public static string? Missing()
    {
        var missing = Tools.Where(tool => Find(tool) is null).ToList();
        if (missing.Count > 0)
        {
            return "needs " + string.Join(", ", missing) + " on PATH (Debian: apt-get install " + string.Join(" ", missing) + ")";
        }
        return Environment.UserName == "root" ? null : "needs root: runc starts containers as root";
    }

    public static void Require()
    {
        string? missing = Missing();
        Assert.True(missing is null, "This test " + missing + "; CI installs the packages and runs as root (.ci/run)");
    }

    // The tool's path: on PATH, or in /usr/sbin and /sbin, where Debian puts runc and which a
    // user's PATH may lack.
    public static string? Find(string tool)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            string path = Path.Combine(folder, tool);
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class ContainerToolsFactAttribute : FactAttribute
{
    public ContainerToolsFactAttribute()
    {
        string? missing = ContainerTools.Missing();
        if (missing is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "This test " + missing + "; with CI set it runs and fails instead";
        }
    }
}
