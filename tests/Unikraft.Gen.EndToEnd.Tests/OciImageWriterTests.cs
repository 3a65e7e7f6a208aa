namespace Unikraft.Gen.EndToEnd.Tests;

using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Text.Json;
using Unikraft.Gen.Build;
using Xunit;

// The pieces of OciImage.cs that the published image does not reach: a path too long for a
// plain ustar name, a bundle's config.json that already has the member being set, and manifests
// that confine nothing or name what the profile cannot express. No build, no NativeAOT.
public sealed class OciImageWriterTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "unikraft-e2e-ociwriter-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public OciImageWriterTests()
    {
        Directory.CreateDirectory(folder);
    }

    [Fact]
    public void Tar_PathLongerThanAUstarName_IsSplitIntoPrefix_AndReadBackWhole()
    {
        string file = Path.Combine(folder, "content");
        File.WriteAllBytes(file, [1, 2, 3]);
        string longPath = "/usr/lib/" + new string('a', 60) + "/" + new string('b', 60) + "/libexample.so.1";

        byte[] tar = DeterministicTar.Write([new LayerFile(longPath, file, "test"), new LayerFile("/app/Hello", file, "test")]);

        var entries = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is TarEntry entry)
        {
            entries.Add(entry.Name + (entry.EntryType == TarEntryType.Directory ? "" : " " + entry.Length));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, entry.Mode);
        }
        string middle = "usr/lib/" + new string('a', 60) + "/";
        Assert.Equal(["app/", "app/Hello 3", "usr/", "usr/lib/", middle, middle + new string('b', 60) + "/", middle + new string('b', 60) + "/libexample.so.1 3"], entries);
    }

    [Fact]
    public void Tar_PathTooLongForUstar_IsAnErrorNamingIt()
    {
        string file = Path.Combine(folder, "content");
        File.WriteAllBytes(file, [1]);
        string path = "/" + new string('c', 120);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => DeterministicTar.Write([new LayerFile(path, file, "test")]));
        Assert.Contains(path.Substring(1), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_SetMember_ReplacesOrAddsTheMember_AndKeepsEveryOtherInOrder()
    {
        const string Config = "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"terminal\": true, \"args\": [\"/app/Hello\"], \"env\": [\"A=\\\"b\\\"\"]},\n  \"linux\": {\"namespaces\": [{\"type\": \"pid\"}], \"x\": null, \"n\": -1.5e3}\n}";

        string terminalOff = Json.SetMember(Config, ["process", "terminal"], "false");
        string withProfile = Json.SetMember(terminalOff, ["linux", "seccomp"], "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");

        Assert.Equal("{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"args\":[\"/app/Hello\"],\"env\":[\"A=\\\"b\\\"\"]},"
            + "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"x\":null,\"n\":-1.5e3,\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", withProfile);
        using JsonDocument parsed = JsonDocument.Parse(withProfile);
        Assert.Equal("A=\"b\"", parsed.RootElement.GetProperty("process").GetProperty("env")[0].GetString());
        Assert.Equal("SCMP_ACT_ALLOW", Json.GetString("{\"annotations\":{\"k\":\"SCMP_ACT_ALLOW\"}}", ["annotations", "k"]));
        Assert.Equal("", Json.GetString(Config, ["annotations", "k"]));
    }

    [Fact]
    public void Json_AppendToArray_AddsAfterTheLastItem_OrMakesTheArray()
    {
        string appended = Json.AppendToArray("{\"mounts\":[{\"destination\":\"/proc\"}],\"b\":1}", ["mounts"], "{\"destination\":\"/data\"}");
        string made = Json.AppendToArray("{\"b\":1}", ["mounts"], "2");

        Assert.Equal("{\"mounts\":[{\"destination\":\"/proc\"},{\"destination\":\"/data\"}],\"b\":1}", appended);
        Assert.Equal("{\"b\":1,\"mounts\":[2]}", made);
        Assert.Throws<InvalidDataException>(() => Json.AppendToArray("{\"mounts\":{}}", ["mounts"], "1"));
    }

    [Fact]
    public void Icu_IsTheNewestVersionWithBothLibraries_AndItsAbsenceNamesTheDebianPackage()
    {
        string first = Path.Combine(folder, "lib");
        string second = Path.Combine(folder, "usr-lib");
        Directory.CreateDirectory(first);
        Directory.CreateDirectory(second);
        foreach (string name in new[] { "libicuuc.so", "libicuuc.so.70", "libicuuc.so.72", "libicuuc.so.72.1" })
        {
            File.WriteAllText(Path.Combine(first, name), "");
        }
        File.WriteAllText(Path.Combine(second, "libicui18n.so.70"), "");

        List<KeyValuePair<string, string>> icu = LoaderClosure.IcuLibraries([first, second]);

        Assert.Equal(["libicuuc.so.70", "libicui18n.so.70"], icu.ConvertAll(pair => pair.Key));
        InvalidDataException missing = Assert.Throws<InvalidDataException>(() => LoaderClosure.IcuLibraries([second]));
        Assert.Contains("the Debian package libicuNN", missing.Message, StringComparison.Ordinal);
        Assert.Contains("or set InvariantGlobalization to true", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Profile_OfAnUnconfinedKernel_IsNone()
    {
        Assert.Equal("", SeccompProfile.FromManifest("Syscalls\n  write  (1)\n\nBoot steps, in order\n  none\n"));
    }

    [Fact]
    public void Profile_OfAnEntryItCannotExpress_IsAnErrorNamingIt()
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() =>
            SeccompProfile.FromManifest("Confinement (seccomp)\n  " + SeccompProfile.ManifestLine + "execve, socket unless AF_UNIX\n"));

        Assert.Contains("'socket unless AF_UNIX'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
