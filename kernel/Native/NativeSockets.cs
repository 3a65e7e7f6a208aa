namespace Unikraft.Kernel;

using System;
using System.Buffers;
using System.Runtime.InteropServices;

// The socket functions of System.Native (pal_networking.h), served by the kernel's socket
// syscalls, so Socket, TcpListener, TcpClient, UdpClient and NetworkStream reach the kernel's
// sockets with no change to their code. Unlike the file functions, these return the PAL's Error
// codes (NativePal) and never set errno; their PAL arguments (address families, socket types,
// option levels and names, message flags) are translated to Linux's here, as pal_networking.c
// translates them. AF_INET is served, and AF_INET6 in a kernel with IPv6 and UDP or TCP (with
// IPV6_V6ONLY, which Socket.DualMode sets); elsewhere the BCL's probes for IPv6 and Unix domain
// sockets get EAFNOSUPPORT, which it takes as "not supported".
internal static class NativeSockets
{
    // NOTE: the PAL's AddressFamily, SocketType and ProtocolType values (pal_networking.h).
    private const int PalUnknown = -1;
    private const int PalInet = 2;
    private const int PalInet6 = 23;
    private const int PalProtocolTcp = 6;

    // NOTE: the PAL's SocketFlags (pal_networking.h).
    private const int PalMessageOob = 0x0001;
    private const int PalMessagePeek = 0x0002;
    private const int PalMessageDontRoute = 0x0004;
    private const int PalMessageTrunc = 0x0100;
    private const int PalMessageControlTrunc = 0x0200;
    private const int PalMessageDontWait = 0x1000;
    private const int PalMessageErrorQueue = 0x2000;

    // NOTE: the PAL's SocketOptionLevel and SocketOptionName values that map to an option this
    // kernel has (System.Net.SocketOptionLevel and SocketOptionName).
    private const int PalLevelSocket = 0xFFFF;
    private const int PalLevelTcp = 6;
    private const int PalAcceptConnection = 0x0002;
    private const int PalReuseAddress = 0x0004;
    private const int PalKeepAlive = 0x0008;
    private const int PalBroadcast = 0x0020;
    private const int PalLinger = 0x0080;
    private const int PalExclusiveAddressUse = ~PalReuseAddress;
    private const int PalSendBuffer = 0x1001;
    private const int PalReceiveBuffer = 0x1002;
    private const int PalSendTimeout = 0x1005;
    private const int PalReceiveTimeout = 0x1006;
    private const int PalError = 0x1007;
    private const int PalType = 0x1008;
    private const int PalTcpNoDelay = 1;
    // SocketOptionName_SO_TCP_KEEPALIVE_TIME, _RETRYCOUNT and _INTERVAL of pal_networking.h.
    private const int PalTcpKeepAliveTime = 3;
    private const int PalTcpKeepAliveRetryCount = 16;
    private const int PalTcpKeepAliveInterval = 17;
    // SocketOptionLevel_SOL_IPV6 and SocketOptionName_SO_IPV6_V6ONLY of pal_networking.h: what the
    // BCL's Socket.DualMode sets.
    private const int PalLevelIpv6 = 41;
    private const int PalIpv6Only = 27;

    // NOTE: GetMaxLingerTime of pal_networking.c on Linux: min(65535, INT_MAX).
    private const int MaximumLingerSeconds = 65535;

    // NOTE: MessageHeader of pal_networking.h on 64-bit: SocketAddress, IOVectors, ControlBuffer
    // (pointers), then SocketAddressLen, IOVectorCount, ControlBufferLen and Flags (int32); an
    // IOVector is a pointer and a size_t, as struct iovec.
    private const int HeaderAddressOffset = 0;
    private const int HeaderVectorsOffset = 8;
    private const int HeaderAddressLengthOffset = 24;
    private const int HeaderVectorCountOffset = 28;
    private const int HeaderControlLengthOffset = 32;
    private const int HeaderFlagsOffset = 36;

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Socket")]
    internal static int Socket(int addressFamily, int socketType, int protocolType, nint createdSocket)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Socket");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (createdSocket == 0)
        {
            return NativePal.EFAULT;
        }
        Marshal.WriteIntPtr(createdSocket, -1);
        int family;
        switch (addressFamily)
        {
            case 0: family = SocketFamily.AF_UNSPEC; break;
            case 1: family = SocketFamily.AF_UNIX; break;
            case PalInet: family = SocketFamily.AF_INET; break;
            case PalInet6: family = SocketFamily.AF_INET6; break;
            default: return NativePal.EAFNOSUPPORT;
        }
        // NOTE: the PAL's socket types 1-5 (stream, dgram, raw, rdm, seqpacket) are Linux's.
        if (socketType < 1 || socketType > 5)
        {
            return NativePal.EPROTOTYPE;
        }
        // NOTE: for AF_INET the PAL's protocols unspecified, ICMP, IGMP, TCP, UDP and raw are
        // Linux's numbers (0, 1, 2, 6, 17, 255); for the others only unspecified converts.
        bool knownProtocol = family == SocketFamily.AF_INET
            ? protocolType == 0 || protocolType == 1 || protocolType == 2 || protocolType == 6 || protocolType == 17 || protocolType == 255
            : protocolType == 0 || family == SocketFamily.AF_INET6;
        if (!knownProtocol)
        {
            return NativePal.EPROTONOSUPPORT;
        }
        long fd = Sys.Socket(layer.Kernel, family, socketType | SocketTypes.SOCK_CLOEXEC, protocolType);
        if (fd < 0)
        {
            return NativePal.FromResult(fd);
        }
        Marshal.WriteIntPtr(createdSocket, (nint)fd);
        return NativePal.Success;
    }

    // On Windows a TCP port in TIME-WAIT can be bound again; the PAL sets SO_REUSEADDR on every
    // TCP socket before binding to behave the same, and so does this.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Bind")]
    internal static int Bind(nint socket, int protocolType, nint socketAddress, int socketAddressLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Bind");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen < 0)
        {
            return NativePal.EFAULT;
        }
        if (protocolType == PalProtocolTcp)
        {
            Span<byte> one = stackalloc byte[] { 1, 0, 0, 0 };
            Sys.Setsockopt(layer.Kernel, (int)socket, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR, one);
        }
        return NativePal.FromResult(Sys.Bind(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, socketAddressLen)));
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Listen")]
    internal static int Listen(nint socket, int backlog)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Listen");
        NativeLayer? layer = call.Layer;
        return layer == null ? NativePal.EPERM : NativePal.FromResult(Sys.Listen(layer.Kernel, (int)socket, backlog));
    }

    // The accepted fd is close-on-exec, as the PAL's accept4(SOCK_CLOEXEC) makes it.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Accept")]
    internal static int Accept(nint socket, nint socketAddress, nint socketAddressLen, nint acceptedSocket)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Accept");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen == 0 || acceptedSocket == 0 || Marshal.ReadInt32(socketAddressLen) < 0)
        {
            return NativePal.EFAULT;
        }
        int length = Marshal.ReadInt32(socketAddressLen);
        long fd = Sys.Accept4(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, length), ref length, SocketTypes.SOCK_CLOEXEC);
        if (fd < 0)
        {
            Marshal.WriteIntPtr(acceptedSocket, -1);
            return NativePal.FromResult(fd);
        }
        Marshal.WriteInt32(socketAddressLen, Math.Min(length, Marshal.ReadInt32(socketAddressLen)));
        Marshal.WriteIntPtr(acceptedSocket, (nint)fd);
        return NativePal.Success;
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Connect")]
    internal static int Connect(nint socket, nint socketAddress, int socketAddressLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Connect");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen < 0)
        {
            return NativePal.EFAULT;
        }
        return NativePal.FromResult(Sys.Connect(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, socketAddressLen)));
    }

    // Connect with data (TCP fast open): on Linux the PAL turns on TCP_FASTOPEN_CONNECT only when
    // TCP_FASTOPEN is on, which the kernel's TCP does not have, and then connects as Connect does,
    // sending nothing with the handshake (the BCL sends its data afterwards).
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Connectx")]
    internal static int Connectx(nint socket, nint socketAddress, int socketAddressLen, nint data, int dataLen, int tfo, nint sent)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Connectx");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen < 0 || sent == 0)
        {
            return NativePal.EFAULT;
        }
        Marshal.WriteInt32(sent, 0);
        return NativePal.FromResult(Sys.Connect(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, socketAddressLen)));
    }

    // if_nametoindex(3) over the kernel's interfaces, numbered as Linux numbers them: loopback
    // ("lo") 1, then the <UnikraftNet> interfaces in the order they were attached. 0, with errno
    // ENODEV, for a name the kernel has no interface of (the BCL asks when it parses an IPv6 scope
    // such as "%eth0").
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_InterfaceNameToIndex")]
    internal static uint InterfaceNameToIndex(nint interfaceName)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_InterfaceNameToIndex");
        NativeLayer? layer = call.Layer;
        if (layer == null || interfaceName == 0)
        {
            Marshal.SetLastSystemError(interfaceName == 0 ? Errno.EFAULT : Errno.EPERM);
            return 0;
        }
        string name = NativeLayer.Text(interfaceName);
        if (name == "lo")
        {
            return 1;
        }
        NetStack? stack = layer.Kernel.Net;
        for (int index = 0; stack != null && index < stack.InterfaceCount; index++)
        {
            if (stack.InterfaceAt(index).Name == name)
            {
                return (uint)index + 2;
            }
        }
        Marshal.SetLastSystemError(Errno.ENODEV);
        return 0;
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Send")]
    internal static int Send(nint socket, nint buffer, int bufferLen, int flags, nint sent)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Send");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (buffer == 0 || bufferLen < 0 || sent == 0)
        {
            return NativePal.EFAULT;
        }
        if (!TryConvertFlags(flags, out int linuxFlags))
        {
            return NativePal.ENOTSUP;
        }
        long result = Sys.Sendto(layer.Kernel, (int)socket, NativeLayer.Bytes(buffer, bufferLen), linuxFlags, ReadOnlySpan<byte>.Empty);
        Marshal.WriteInt32(sent, result < 0 ? 0 : (int)result);
        return NativePal.FromResult(result);
    }

    // The BCL's zero-byte reads arrive here as a one-byte MSG_PEEK receive.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Receive")]
    internal static int Receive(nint socket, nint buffer, int bufferLen, int flags, nint received)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Receive");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (buffer == 0 || bufferLen < 0 || received == 0)
        {
            return NativePal.EFAULT;
        }
        if (!TryConvertFlags(flags, out int linuxFlags))
        {
            return NativePal.ENOTSUP;
        }
        int noLength = 0;
        long result = Sys.Recvfrom(layer.Kernel, (int)socket, NativeLayer.Bytes(buffer, bufferLen), linuxFlags, Span<byte>.Empty, ref noLength);
        Marshal.WriteInt32(received, result < 0 ? 0 : (int)result);
        return NativePal.FromResult(result);
    }

    // sendmsg over the MessageHeader's IOVectors (gathered into one send) to its SocketAddress,
    // if any. Control data is not sent: the BCL passes none for AF_INET sends.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SendMessage")]
    internal static int SendMessage(nint socket, nint messageHeader, int flags, nint sent)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SendMessage");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (!TryReadHeader(messageHeader, sent, out nint address, out int addressLength, out nint vectors, out int vectorCount))
        {
            return NativePal.EFAULT;
        }
        if (!TryConvertFlags(flags, out int linuxFlags))
        {
            return NativePal.ENOTSUP;
        }
        long total = VectorsLength(vectors, vectorCount);
        if (total > int.MaxValue)
        {
            return NativePal.EMSGSIZE;
        }
        byte[]? gathered = null;
        Span<byte> data = vectorCount == 1 ? VectorBytes(vectors, 0) : Span<byte>.Empty;
        if (vectorCount > 1)
        {
            gathered = ArrayPool<byte>.Shared.Rent((int)total);
            int offset = 0;
            for (int index = 0; index < vectorCount; index++)
            {
                Span<byte> piece = VectorBytes(vectors, index);
                piece.CopyTo(gathered.AsSpan(offset));
                offset += piece.Length;
            }
            data = gathered.AsSpan(0, (int)total);
        }
        try
        {
            long result = Sys.SendMessage(layer.Kernel, (int)socket, data, linuxFlags, NativeLayer.Bytes(address, addressLength));
            Marshal.WriteInt64(sent, result < 0 ? 0 : result);
            return NativePal.FromResult(result);
        }
        finally
        {
            if (gathered != null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }
    }

    // recvmsg into the MessageHeader's IOVectors (filled in order), the sender in its
    // SocketAddress (SocketAddressLen cut to what was written), no control data (ControlBufferLen
    // 0), and Flags the PAL's MSG_TRUNC when a datagram did not fit.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_ReceiveMessage")]
    internal static int ReceiveMessage(nint socket, nint messageHeader, int flags, nint received)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_ReceiveMessage");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (!TryReadHeader(messageHeader, received, out nint address, out int addressLength, out nint vectors, out int vectorCount))
        {
            return NativePal.EFAULT;
        }
        if (!TryConvertFlags(flags, out int linuxFlags))
        {
            return NativePal.ENOTSUP;
        }
        long total = VectorsLength(vectors, vectorCount);
        byte[]? gathered = null;
        Span<byte> buffer = vectorCount == 1 ? VectorBytes(vectors, 0) : Span<byte>.Empty;
        if (vectorCount > 1)
        {
            gathered = ArrayPool<byte>.Shared.Rent((int)Math.Min(total, int.MaxValue));
            buffer = gathered.AsSpan(0, (int)Math.Min(total, int.MaxValue));
        }
        try
        {
            int length = addressLength;
            long result = Sys.ReceiveMessage(layer.Kernel, (int)socket, buffer, linuxFlags, NativeLayer.Bytes(address, addressLength), ref length, out int linuxReturned);
            int returnedFlags = (linuxReturned & MessageFlags.MSG_TRUNC) != 0 ? PalMessageTrunc : 0;
            if (result >= 0)
            {
                if (gathered != null)
                {
                    Scatter(gathered, (int)Math.Min(result, buffer.Length), vectors, vectorCount);
                }
                if (address != 0)
                {
                    Marshal.WriteInt32(messageHeader, HeaderAddressLengthOffset, Math.Min(length, addressLength));
                }
            }
            Marshal.WriteInt32(messageHeader, HeaderControlLengthOffset, 0);
            Marshal.WriteInt32(messageHeader, HeaderFlagsOffset, returnedFlags);
            Marshal.WriteInt64(received, result < 0 ? 0 : result);
            return NativePal.FromResult(result);
        }
        finally
        {
            if (gathered != null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }
    }

    // NOTE: the PAL's SocketShutdown values 0, 1, 2 are Linux's SHUT_RD, SHUT_WR, SHUT_RDWR.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Shutdown")]
    internal static int Shutdown(nint socket, int socketShutdown)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_Shutdown");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketShutdown < ShutdownHow.SHUT_RD || socketShutdown > ShutdownHow.SHUT_RDWR)
        {
            return NativePal.EINVAL;
        }
        return NativePal.FromResult(Sys.Shutdown(layer.Kernel, (int)socket, socketShutdown));
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetSockName")]
    internal static int GetSockName(nint socket, nint socketAddress, nint socketAddressLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetSockName");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen == 0 || Marshal.ReadInt32(socketAddressLen) < 0)
        {
            return NativePal.EFAULT;
        }
        int length = Marshal.ReadInt32(socketAddressLen);
        long result = Sys.Getsockname(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, length), ref length);
        if (result == 0)
        {
            Marshal.WriteInt32(socketAddressLen, Math.Min(length, Marshal.ReadInt32(socketAddressLen)));
        }
        return NativePal.FromResult(result);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetPeerName")]
    internal static int GetPeerName(nint socket, nint socketAddress, nint socketAddressLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetPeerName");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (socketAddress == 0 || socketAddressLen == 0 || Marshal.ReadInt32(socketAddressLen) < 0)
        {
            return NativePal.EFAULT;
        }
        int length = Marshal.ReadInt32(socketAddressLen);
        long result = Sys.Getpeername(layer.Kernel, (int)socket, NativeLayer.Bytes(socketAddress, length), ref length);
        if (result == 0)
        {
            Marshal.WriteInt32(socketAddressLen, Math.Min(length, Marshal.ReadInt32(socketAddressLen)));
        }
        return NativePal.FromResult(result);
    }

    // As pal_networking.c: SO_REUSEADDR and SO_EXCLUSIVEADDRUSE take exactly an int32, the latter
    // inverted; SO_TYPE comes back as the PAL's type (the same numbers); a level or name with no
    // Linux counterpart is ENOTSUP, one Linux has and this kernel does not ENOPROTOOPT.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetSockOpt")]
    internal static int GetSockOpt(nint socket, int socketOptionLevel, int socketOptionName, nint optionValue, nint optionLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetSockOpt");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (optionLen == 0 || Marshal.ReadInt32(optionLen) < 0)
        {
            return NativePal.EFAULT;
        }
        int length = Marshal.ReadInt32(optionLen);
        bool exclusive = socketOptionLevel == PalLevelSocket && socketOptionName == PalExclusiveAddressUse;
        if (socketOptionLevel == PalLevelSocket && (exclusive || socketOptionName == PalReuseAddress) && length != sizeof(int))
        {
            return NativePal.EINVAL;
        }
        int translated = TryConvertOption(socketOptionLevel, socketOptionName, out int level, out int name);
        if (translated != NativePal.Success)
        {
            return translated;
        }
        long result = Sys.Getsockopt(layer.Kernel, (int)socket, level, name, NativeLayer.Bytes(optionValue, length), ref length);
        if (result != 0)
        {
            return NativePal.FromResult(result);
        }
        if (exclusive && length == sizeof(int))
        {
            Marshal.WriteInt32(optionValue, Marshal.ReadInt32(optionValue) == 0 ? 1 : 0);
        }
        Marshal.WriteInt32(optionLen, length);
        return NativePal.Success;
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetSockOpt")]
    internal static int SetSockOpt(nint socket, int socketOptionLevel, int socketOptionName, nint optionValue, int optionLen)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetSockOpt");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (optionLen < 0 || optionValue == 0)
        {
            return NativePal.EFAULT;
        }
        bool exclusive = socketOptionLevel == PalLevelSocket && socketOptionName == PalExclusiveAddressUse;
        if (socketOptionLevel == PalLevelSocket && (exclusive || socketOptionName == PalReuseAddress))
        {
            if (optionLen != sizeof(int))
            {
                return NativePal.EINVAL;
            }
            int value = Marshal.ReadInt32(optionValue);
            if (exclusive)
            {
                if (value != 0 && value != 1)
                {
                    return NativePal.EINVAL;
                }
                value = value == 0 ? 1 : 0;
            }
            Span<byte> reuse = stackalloc byte[sizeof(int)];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(reuse, value);
            return NativePal.FromResult(Sys.Setsockopt(layer.Kernel, (int)socket, SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR, reuse));
        }
        int translated = TryConvertOption(socketOptionLevel, socketOptionName, out int level, out int name);
        if (translated != NativePal.Success)
        {
            return translated;
        }
        return NativePal.FromResult(Sys.Setsockopt(layer.Kernel, (int)socket, level, name, NativeLayer.Bytes(optionValue, optionLen)));
    }

    // SO_ERROR as a PAL code.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetSocketErrorOption")]
    internal static int GetSocketErrorOption(nint socket, nint error)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetSocketErrorOption");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (error == 0)
        {
            return NativePal.EFAULT;
        }
        Span<byte> value = stackalloc byte[sizeof(int)];
        int length = sizeof(int);
        long result = Sys.Getsockopt(layer.Kernel, (int)socket, SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR, value, ref length);
        if (result != 0)
        {
            return NativePal.FromResult(result);
        }
        Marshal.WriteInt32(error, NativePal.FromErrno(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(value)));
        return NativePal.Success;
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetReceiveTimeout")]
    internal static int SetReceiveTimeout(nint socket, int millisecondsTimeout)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetReceiveTimeout");
        NativeLayer? layer = call.Layer;
        return layer == null ? NativePal.EPERM : SetTimeout(layer.Kernel, socket, millisecondsTimeout, SocketOptions.SO_RCVTIMEO);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetSendTimeout")]
    internal static int SetSendTimeout(nint socket, int millisecondsTimeout)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetSendTimeout");
        NativeLayer? layer = call.Layer;
        return layer == null ? NativePal.EPERM : SetTimeout(layer.Kernel, socket, millisecondsTimeout, SocketOptions.SO_SNDTIMEO);
    }

    // LingerOption: OnOff and Seconds, two int32s, as struct linger.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetLingerOption")]
    internal static int GetLingerOption(nint socket, nint option)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetLingerOption");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (option == 0)
        {
            return NativePal.EFAULT;
        }
        int length = SocketOptions.LingerLength;
        return NativePal.FromResult(Sys.Getsockopt(layer.Kernel, (int)socket, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, NativeLayer.Bytes(option, length), ref length));
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetLingerOption")]
    internal static int SetLingerOption(nint socket, nint option)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_SetLingerOption");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (option == 0)
        {
            return NativePal.EFAULT;
        }
        int seconds = Marshal.ReadInt32(option, 4);
        if (Marshal.ReadInt32(option) != 0 && (seconds < 0 || seconds > MaximumLingerSeconds))
        {
            return NativePal.EINVAL;
        }
        return NativePal.FromResult(Sys.Setsockopt(layer.Kernel, (int)socket, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, NativeLayer.Bytes(option, SocketOptions.LingerLength)));
    }

    // ioctl(FIONREAD).
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetBytesAvailable")]
    internal static int GetBytesAvailable(nint socket, nint available)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetBytesAvailable");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (available == 0)
        {
            return NativePal.EFAULT;
        }
        long result = Sys.SocketBytesAvailable(layer.Kernel, (int)socket);
        Marshal.WriteInt32(available, result < 0 ? 0 : (int)result);
        return NativePal.FromResult(result);
    }

    // The family, type, protocol and listening state of an fd the BCL was handed (new Socket(handle)).
    // As the PAL on Linux, an fd that is not a socket answers Unknown for each and still succeeds.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetSocketType")]
    internal static int GetSocketType(nint socket, nint addressFamily, nint socketType, nint protocolType, nint isListening)
    {
        using NativeCall call = NativeCall.Enter("SystemNative_GetSocketType");
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (addressFamily == 0 || socketType == 0 || protocolType == 0 || isListening == 0)
        {
            return NativePal.EFAULT;
        }
        SocketFile? file = socket >= 0 && socket <= int.MaxValue ? layer.Kernel.Files.Get((int)socket) as SocketFile : null;
        Marshal.WriteInt32(addressFamily, file == null ? PalUnknown : PalInet);
        Marshal.WriteInt32(socketType, file == null ? PalUnknown : file.Type);
        Marshal.WriteInt32(protocolType, file == null ? PalUnknown : file.Protocol);
        Marshal.WriteInt32(isListening, file != null && file.IsListening ? 1 : 0);
        return NativePal.Success;
    }

    // NOTE: SetTimeoutOption of pal_networking.c: a negative timeout is EINVAL, 0 waits for ever.
    private static int SetTimeout(Kernel kernel, nint socket, int milliseconds, int name)
    {
        if (milliseconds < 0)
        {
            return NativePal.EINVAL;
        }
        Span<byte> timeval = stackalloc byte[SocketOptions.TimevalLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(timeval, milliseconds / 1000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(timeval.Slice(8), milliseconds % 1000 * 1000L);
        return NativePal.FromResult(Sys.Setsockopt(kernel, (int)socket, SocketOptions.SOL_SOCKET, name, timeval));
    }

    // TryGetPlatformSocketOption of pal_networking.c, for the options this kernel has; of the IP,
    // IPv6 and UDP levels' options (TTL, multicast, packet information) it has IPV6_V6ONLY alone.
    private static int TryConvertOption(int palLevel, int palName, out int level, out int name)
    {
        level = 0;
        name = 0;
        if (palLevel == PalLevelTcp)
        {
            level = SocketProtocols.IPPROTO_TCP;
            switch (palName)
            {
                case PalTcpNoDelay: name = SocketOptions.TCP_NODELAY; return NativePal.Success;
                case PalTcpKeepAliveTime: name = SocketOptions.TCP_KEEPIDLE; return NativePal.Success;
                case PalTcpKeepAliveInterval: name = SocketOptions.TCP_KEEPINTVL; return NativePal.Success;
                case PalTcpKeepAliveRetryCount: name = SocketOptions.TCP_KEEPCNT; return NativePal.Success;
                default: return NativePal.ENOPROTOOPT;
            }
        }
        if (KernelFeatures.Ipv6 && palLevel == PalLevelIpv6 && palName == PalIpv6Only)
        {
            level = SocketProtocols.IPPROTO_IPV6;
            name = SocketOptions.IPV6_V6ONLY;
            return NativePal.Success;
        }
        if (palLevel != PalLevelSocket)
        {
            return palLevel == 0 || palLevel == 41 || palLevel == 17 ? NativePal.ENOPROTOOPT : NativePal.ENOTSUP;
        }
        level = SocketOptions.SOL_SOCKET;
        switch (palName)
        {
            case PalAcceptConnection: name = SocketOptions.SO_ACCEPTCONN; break;
            case PalReuseAddress: name = SocketOptions.SO_REUSEADDR; break;
            case PalExclusiveAddressUse: name = SocketOptions.SO_REUSEADDR; break;
            case PalKeepAlive: name = SocketOptions.SO_KEEPALIVE; break;
            case PalBroadcast: name = SocketOptions.SO_BROADCAST; break;
            case PalLinger: name = SocketOptions.SO_LINGER; break;
            case PalSendBuffer: name = SocketOptions.SO_SNDBUF; break;
            case PalReceiveBuffer: name = SocketOptions.SO_RCVBUF; break;
            case PalSendTimeout: name = SocketOptions.SO_SNDTIMEO; break;
            case PalReceiveTimeout: name = SocketOptions.SO_RCVTIMEO; break;
            case PalError: name = SocketOptions.SO_ERROR; break;
            case PalType: name = SocketOptions.SO_TYPE; break;
            default: return NativePal.ENOTSUP;
        }
        return NativePal.Success;
    }

    // ConvertSocketFlagsPalToPlatform: false for a flag the PAL does not know (ENOTSUP).
    private static bool TryConvertFlags(int palFlags, out int linuxFlags)
    {
        const int known = PalMessageOob | PalMessagePeek | PalMessageDontRoute | PalMessageTrunc | PalMessageControlTrunc
            | PalMessageDontWait | PalMessageErrorQueue;
        linuxFlags = 0;
        if ((palFlags & ~known) != 0)
        {
            return false;
        }
        linuxFlags |= (palFlags & PalMessageOob) != 0 ? MessageFlags.MSG_OOB : 0;
        linuxFlags |= (palFlags & PalMessagePeek) != 0 ? MessageFlags.MSG_PEEK : 0;
        linuxFlags |= (palFlags & PalMessageDontRoute) != 0 ? MessageFlags.MSG_DONTROUTE : 0;
        linuxFlags |= (palFlags & PalMessageTrunc) != 0 ? MessageFlags.MSG_TRUNC : 0;
        linuxFlags |= (palFlags & PalMessageControlTrunc) != 0 ? MessageFlags.MSG_CTRUNC : 0;
        linuxFlags |= (palFlags & PalMessageDontWait) != 0 ? MessageFlags.MSG_DONTWAIT : 0;
        return true;
    }

    // The checks of SystemNative_SendMessage and ReceiveMessage: EFAULT for a missing header or
    // result, or negative lengths.
    private static bool TryReadHeader(nint messageHeader, nint result, out nint address, out int addressLength, out nint vectors, out int vectorCount)
    {
        address = 0;
        addressLength = 0;
        vectors = 0;
        vectorCount = 0;
        if (messageHeader == 0 || result == 0)
        {
            return false;
        }
        address = Marshal.ReadIntPtr(messageHeader, HeaderAddressOffset);
        vectors = Marshal.ReadIntPtr(messageHeader, HeaderVectorsOffset);
        addressLength = Marshal.ReadInt32(messageHeader, HeaderAddressLengthOffset);
        vectorCount = Marshal.ReadInt32(messageHeader, HeaderVectorCountOffset);
        int controlLength = Marshal.ReadInt32(messageHeader, HeaderControlLengthOffset);
        return addressLength >= 0 && vectorCount >= 0 && controlLength >= 0 && (vectors != 0 || vectorCount == 0);
    }

    private static long VectorsLength(nint vectors, int count)
    {
        long total = 0;
        for (int index = 0; index < count; index++)
        {
            total += (long)Marshal.ReadIntPtr(vectors, index * 16 + 8);
        }
        return total;
    }

    private static Span<byte> VectorBytes(nint vectors, int index)
    {
        nint start = Marshal.ReadIntPtr(vectors, index * 16);
        long length = (long)Marshal.ReadIntPtr(vectors, index * 16 + 8);
        return NativeLayer.Bytes(start, (int)Math.Min(length, int.MaxValue));
    }

    private static void Scatter(byte[] gathered, int length, nint vectors, int count)
    {
        int offset = 0;
        for (int index = 0; index < count && offset < length; index++)
        {
            Span<byte> piece = VectorBytes(vectors, index);
            int take = Math.Min(piece.Length, length - offset);
            gathered.AsSpan(offset, take).CopyTo(piece);
            offset += take;
        }
    }
    // What the socket layer has no answer for yet, answered by the kernel instead of the host:
    // the Socket class's link imports these whether or not the program calls them.

    // Socket.Disconnect (connect(AF_UNSPEC) in pal_networking.c): the socket layer cannot
    // dissolve an association yet, so the call fails with ENOTSUP and the socket stays as it was.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_Disconnect")]
    internal static int Disconnect(nint socket)
    {
        return Refuse("SystemNative_Disconnect", socket, NativePal.ENOTSUP);
    }

    // Multicast group membership: the kernel's IPv4 has no multicast (IGMP), so every multicast
    // option is ENOPROTOOPT, as a kernel built without IP multicast answers.
    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetIPv4MulticastOption")]
    internal static int GetIPv4MulticastOption(nint socket, int multicastOption, nint option)
    {
        return Refuse("SystemNative_GetIPv4MulticastOption", socket, NativePal.ENOPROTOOPT);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetIPv4MulticastOption")]
    internal static int SetIPv4MulticastOption(nint socket, int multicastOption, nint option)
    {
        return Refuse("SystemNative_SetIPv4MulticastOption", socket, NativePal.ENOPROTOOPT);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_GetIPv6MulticastOption")]
    internal static int GetIPv6MulticastOption(nint socket, int multicastOption, nint option)
    {
        return Refuse("SystemNative_GetIPv6MulticastOption", socket, NativePal.ENOPROTOOPT);
    }

    [KernelFeature("Sockets")]
    [UnmanagedCallersOnly(EntryPoint = "__wrap_SystemNative_SetIPv6MulticastOption")]
    internal static int SetIPv6MulticastOption(nint socket, int multicastOption, nint option)
    {
        return Refuse("SystemNative_SetIPv6MulticastOption", socket, NativePal.ENOPROTOOPT);
    }

    // EBADF for what is not an open fd, ENOTSOCK for what is not a socket, else the refusal.
    private static int Refuse(string function, nint socket, int refusal)
    {
        using NativeCall call = NativeCall.Enter(function);
        NativeLayer? layer = call.Layer;
        if (layer == null)
        {
            return NativePal.EPERM;
        }
        if (!layer.IsOpen(socket))
        {
            return NativePal.EBADF;
        }
        return layer.Kernel.Files.Get((int)socket) is SocketFile ? refusal : NativePal.ENOTSOCK;
    }
}
