namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The host's trust store, for a program that validates TLS certificates (HttpClient, SslStream:
// the plan mounts it when the program names one). On Linux the BCL finds the trusted roots in two
// name spaces at once (System.Security.Cryptography's OpenSslCachedSystemStoreProvider): it asks
// whether the store's folder and file exist and lists the folder through its native layer, which
// here is the kernel's VFS, and then reads each file with OpenSSL's BIO_new_file, which is libc's
// fopen on the host, around the kernel. A chain validates only when both see the same files at
// the same paths, so each folder is mounted read-only at its own host path (hostfs), and the
// confinement lets OpenSSL read beneath it (HostReads).
//
// The folders: /etc/ssl/certs (the BCL's fallback when OpenSSL's own default, /usr/lib/ssl/certs
// on Debian, is not there: it is not, in the kernel), every folder of SSL_CERT_DIR, and the folder
// of SSL_CERT_FILE, as the host's environment names them at boot (OpenSSL's shim reads the
// process's own environment, so the kernel reads the same). A folder the host does not have, or
// that the program's own mounts already hold, is left out and the log says so (but the absence
// of /etc/ssl/certs, which only means no system roots).
internal static class HostedTrustStore
{
    public const string SystemFolder = "/etc/ssl/certs";

    // Where the system store's files lead: Debian's /etc/ssl/certs holds symbolic links into
    // /usr/share/ca-certificates and /usr/local/share/ca-certificates, and Fedora's bundle is a
    // link into /etc/pki/ca-trust/extracted. The host follows them when OpenSSL opens a file, so
    // Landlock must let it read there too; the kernel never mounts them.
    private static readonly string[] LinkTargets =
    {
        "/usr/share/ca-certificates",
        "/usr/local/share/ca-certificates",
        "/etc/pki/ca-trust/extracted",
        "/etc/pki/tls/certs",
    };

    // Mounts each folder of the store read-only at its host path; returns the host folders OpenSSL
    // may read (for HostedConfinement.Install).
    public static string[] Mount(Kernel kernel)
    {
        var reads = new List<string>();
        foreach (string folder in Folders(kernel))
        {
            long opened = HostFileSystem.TryOpen(folder, readOnly: true, out HostFileSystem? fileSystem);
            if (opened < 0 || fileSystem is null)
            {
                if (folder != SystemFolder)
                {
                    kernel.Log.Write("[uk] trust store: " + folder + " is not a folder the host has (" + Errno.Name((int)-opened) + "); left out");
                }
                continue;
            }
            try
            {
                VfsMounts.Mount(kernel, folder, fileSystem, true);
                reads.Add(folder);
                if (folder != SystemFolder)
                {
                    kernel.Log.Write("[uk] trust store: " + folder + " mounted read-only from the host (SSL_CERT_FILE, SSL_CERT_DIR)");
                }
            }
            catch (KernelException exception)
            {
                fileSystem.Dispose();
                kernel.Log.Write("[uk] trust store: " + folder + " left out: " + exception.Message);
            }
        }
        if (reads.Count > 0)
        {
            reads.AddRange(LinkTargets);
        }
        return reads.ToArray();
    }

    // The store's folders, absolute and canonical, each once, none inside another.
    internal static List<string> Folders(Kernel kernel)
    {
        var candidates = new List<string> { SystemFolder };
        if (Environment.GetEnvironmentVariable("SSL_CERT_DIR") is { Length: > 0 } directories)
        {
            foreach (string directory in directories.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                Add(kernel, candidates, "SSL_CERT_DIR", directory);
            }
        }
        if (Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } file)
        {
            int slash = file.LastIndexOf('/');
            Add(kernel, candidates, "SSL_CERT_FILE", slash > 0 ? file.Substring(0, slash) : file);
        }

        var folders = new List<string>();
        foreach (string candidate in candidates)
        {
            if (!folders.Exists(folder => Beneath(candidate, folder)))
            {
                folders.RemoveAll(folder => Beneath(folder, candidate));
                folders.Add(candidate);
            }
        }
        return folders;
    }

    private static void Add(Kernel kernel, List<string> candidates, string variable, string path)
    {
        string trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (!IsCanonical(trimmed))
        {
            kernel.Log.Write("[uk] trust store: " + variable + " names '" + path + "', not an absolute path without '.' or '..' parts; left out");
            return;
        }
        candidates.Add(trimmed);
    }

    // A mount point the VFS takes: absolute, not the root, no empty, "." or ".." parts.
    private static bool IsCanonical(string path)
    {
        if (path.Length < 2 || path[0] != '/')
        {
            return false;
        }
        foreach (string part in path.Substring(1).Split('/'))
        {
            if (part.Length == 0 || part == "." || part == "..")
            {
                return false;
            }
        }
        return true;
    }

    // Whether path is folder or lies beneath it.
    private static bool Beneath(string path, string folder) =>
        path == folder || (path.Length > folder.Length && path.StartsWith(folder, StringComparison.Ordinal) && path[folder.Length] == '/');
}
