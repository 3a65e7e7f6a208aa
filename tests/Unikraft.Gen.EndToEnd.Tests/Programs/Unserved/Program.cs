using System;
using System.Diagnostics;

if (OperatingSystem.IsLinux())
{
    Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)1;
}

Console.WriteLine("pinned");
