// What the program learns of the operating system under it: the version (parsed from uname's
// release), the description (the os-release file the kernel's file system does not hold, then
// uname's name, release and version) and the platform check.
using System.Runtime.InteropServices;

Console.WriteLine(Environment.OSVersion);
Console.WriteLine(RuntimeInformation.OSDescription);
Console.WriteLine(RuntimeInformation.IsOSPlatform(OSPlatform.Linux));
