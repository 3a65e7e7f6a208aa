namespace Unikraft.Kernel;

using System;

// States a micro-library's boundary once, in its Library.cs: the build-time graph tool and the
// manifest read these, so no central list of libraries exists anywhere.
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class KernelLibraryAttribute : Attribute
{
    public KernelLibraryAttribute(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public string Summary { get; set; } = "";

    public string[] Needs { get; set; } = Array.Empty<string>();
}

// Marks a method that names constants, one switch section per constant ('case EIO: return "EIO";'):
// the pruner keeps a section only while other kept code keeps its constant, so a kernel names the
// values it can produce and no others. A value without its section prints as its number.
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class NameTableAttribute : Attribute
{
}

// Marks a method of Sys as the implementation of one syscall number. The pruner replaces the
// body of a syscall that no call site needs with a stub, keyed by this number.
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class SyscallAttribute : Attribute
{
    public SyscallAttribute(int number)
    {
        Number = number;
    }

    public int Number { get; }
}

// Marks a static method taking the Kernel that the generated boot calls, in Order, for every
// library present in the image.
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class BootStepAttribute : Attribute
{
    public int Order { get; set; }
}

// Marks a device class with its kind (console, clock, random, ...), so the plan can say which
// device a program needs and the manifest can say why it is there.
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class DeviceAttribute : Attribute
{
    public DeviceAttribute(string kind)
    {
        Kind = kind;
    }

    public string Kind { get; }
}

// Marks a file-system class with its type name, as mounts in the configuration name it
// (ramfs, devfs, initrd, hostfs).
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class FileSystemAttribute : Attribute
{
    public FileSystemAttribute(string type)
    {
        Type = type;
    }

    public string Type { get; }
}

// Says which KernelFeatures switch an app-facing API method needs; the plan turns the switch
// on when a call site reaches the method. On a member the boot calls (a file system's mount),
// it says what booting that mount needs; the plan turns the switch on when the mount is booted.
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property, AllowMultiple = true)]
internal sealed class KernelFeatureAttribute : Attribute
{
    public KernelFeatureAttribute(string name)
    {
        Name = name;
    }

    public string Name { get; }
}
