namespace Unikraft.Kernel.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Xunit;

// The host's trust store for a TLS client: the folders SSL_CERT_FILE and SSL_CERT_DIR name join
// /etc/ssl/certs, each mounted read-only at its own host path, so the BCL's listing (the kernel's
// VFS) and OpenSSL's reads (the host) see the same files. The variables are the process's; the
// tests set and restore them, and are one collection so that they never run side by side.
[Collection(nameof(HostedTrustStoreTests))]
public sealed class HostedTrustStoreTests
{
    [Fact]
    public void Folders_AreEachOnce_NoneInsideAnother_AndOnlyCanonicalAbsolutePaths()
    {
        using var variables = new Variables("/opt/roots:/etc/ssl:relative/dir", "/srv/certs/ca.pem");
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);

        List<string> folders = HostedTrustStore.Folders(kernel);

        Assert.Equal(new[] { "/opt/roots", "/etc/ssl", "/srv/certs" }, folders);
        Assert.Contains(platform.Log, line => line.Contains("SSL_CERT_DIR names 'relative/dir', not an absolute path", StringComparison.Ordinal));
    }

    [Fact]
    public void Mount_PutsSslCertFilesFolder_AtItsHostPath_ReadOnly()
    {
        using TempFolder folder = new TempFolder();
        folder.WriteFile("ca.pem", "-----BEGIN CERTIFICATE-----\n"u8.ToArray());
        using var variables = new Variables(null, Path.Combine(folder.Path, "ca.pem"));
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 20), false);

        string[] reads = HostedTrustStore.Mount(kernel);

        Assert.Contains(folder.Path, reads);
        Assert.Contains("/usr/share/ca-certificates", reads);
        long fd = Sys.Openat(kernel, OpenFlags.AT_FDCWD, Path.Combine(folder.Path, "ca.pem"), OpenFlags.O_RDONLY, 0);
        Assert.True(fd >= 0, Errno.Name((int)-fd));
        byte[] buffer = new byte[64];
        long read = Sys.Read(kernel, (int)fd, buffer);
        Assert.Equal("-----BEGIN CERTIFICATE-----\n", Encoding.UTF8.GetString(buffer, 0, (int)read));
        Assert.Equal(-Errno.EROFS, Sys.Openat(kernel, OpenFlags.AT_FDCWD, Path.Combine(folder.Path, "new.pem"), OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0x1A4));
        Assert.Contains(platform.Log, line => line.Contains("[uk] trust store: " + folder.Path + " mounted read-only from the host", StringComparison.Ordinal));
    }

    [Fact]
    public void Mount_LeavesOutAFolderTheHostLacks_AndSaysSo()
    {
        using var variables = new Variables("/nonexistent-" + Guid.NewGuid().ToString("N"), null);
        Kernel kernel = TestKernel.Boot(out TestPlatform platform);
        VfsMounts.Mount(kernel, "/", new RamFileSystem(1 << 20), false);

        HostedTrustStore.Mount(kernel);

        Assert.Contains(platform.Log, line => line.Contains("is not a folder the host has", StringComparison.Ordinal));
    }

    // Sets SSL_CERT_DIR and SSL_CERT_FILE (null: unset) and puts them back.
    private sealed class Variables : IDisposable
    {
        private readonly string? directory = Environment.GetEnvironmentVariable("SSL_CERT_DIR");
        private readonly string? file = Environment.GetEnvironmentVariable("SSL_CERT_FILE");

        public Variables(string? directory, string? file)
        {
            Environment.SetEnvironmentVariable("SSL_CERT_DIR", directory);
            Environment.SetEnvironmentVariable("SSL_CERT_FILE", file);
        }

        public void Dispose()
        {
            Environment.SetEnvironmentVariable("SSL_CERT_DIR", directory);
            Environment.SetEnvironmentVariable("SSL_CERT_FILE", file);
        }
    }
}
