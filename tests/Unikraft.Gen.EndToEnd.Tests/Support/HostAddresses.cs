namespace Unikraft.Gen.EndToEnd.Tests;

using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

// The test machine's own addresses, as the host's network stack has them.
internal static class HostAddresses
{
    // An IPv4 address of an interface that is up and not loopback, or null when the machine has none.
    public static string? FirstNonLoopbackIpv4()
    {
        foreach (NetworkInterface card in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (card.OperationalStatus != OperationalStatus.Up || card.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation unicast in card.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(unicast.Address))
                {
                    return unicast.Address.ToString();
                }
            }
        }

        return null;
    }
}
