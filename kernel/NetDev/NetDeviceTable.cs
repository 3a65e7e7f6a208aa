namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;

// The kernel's network devices by name, in the order they were attached. A device arrives here
// from whoever opened it (the platform's boot step from the UnikraftNet items, a simulation, a
// test), so a new kind of device needs no change to the kernel's core.
internal sealed class NetDeviceTable
{
    private readonly List<string> names = new List<string>();
    private readonly List<INetDevice> devices = new List<INetDevice>();

    public int Count => devices.Count;

    public string NameAt(int index) => names[index];

    public INetDevice DeviceAt(int index) => devices[index];

    // Attaches device under name; a name is attached once ("eth0" twice is a configuration
    // error the build reports, so reaching it here is a kernel bug).
    public void Attach(string name, INetDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (string.IsNullOrEmpty(name) || IndexOf(name) >= 0)
        {
            throw new KernelException("netdev: a device named '" + name + "' is already attached, or the name is empty");
        }
        names.Add(name);
        devices.Add(device);
    }

    public bool TryGet(string name, out INetDevice device)
    {
        int index = IndexOf(name);
        device = index < 0 ? null! : devices[index];
        return index >= 0;
    }

    private int IndexOf(string name)
    {
        for (int index = 0; index < names.Count; index++)
        {
            if (string.Equals(names[index], name, StringComparison.Ordinal))
            {
                return index;
            }
        }
        return -1;
    }
}
