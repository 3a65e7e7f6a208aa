using System;

Console.WriteLine(HostCalls.Sneaky.OpenSocket());
Console.WriteLine(HostCalls.Sneaky.StartProcess());
Console.WriteLine(HostCalls.Sneaky.OpenHostFile());
// OpenSSL loads by path on first use: in a NativeAOT image its boot has loaded it already.
Console.WriteLine(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("abc"u8)));
