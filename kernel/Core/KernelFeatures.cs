namespace Unikraft.Kernel;

// Feature switches inside shared code paths. Each is a property returning true in the full
// kernel; the generator removes a whole `if (KernelFeatures.X) { ... }` statement (written with
// no else branch) when the program does not need X, so the code after the statement is the
// "feature absent" path. They are properties, not consts: a const true would make that code
// unreachable to the compiler (CS0162). API methods say which switches they need with
// [KernelFeature("X")].
internal static class KernelFeatures
{
    // Writing to files (the VFS write path, ramfs writes); console writes do not need it.
    public static bool FileWrite => true;

    // Creating files with O_CREAT.
    public static bool FileCreate => true;

    // Cutting a file to length zero with O_TRUNC at open.
    public static bool FileTruncate => true;

    // Writes at the end of the file with O_APPEND.
    public static bool FileAppend => true;

    // Reading directories (getdents64).
    public static bool DirectoryList => true;

    // The JIT route's jump slots (NativeSlots): a JIT run with them points them at the native
    // layer's entry points; a NativeAOT image, whose link does that, keeps neither the slot table
    // nor the entry points no import needs.
    public static bool NativeSlots => true;

    // The BCL's socket functions in the native layer (NativeSockets, NativeSocketEvents) and with
    // them the network stack. A NativeAOT image has them when its link imports them; a JIT run,
    // which has no import list, when the project declares a network interface (UnikraftNet) or
    // its code names one of the BCL's network types (the loopback is always there).
    public static bool Sockets => true;

    // The transports under the sockets, each only where the program may make its sockets: TCP for
    // TcpClient, TcpListener, HttpClient, Kestrel and the like, UDP for UdpClient; a Socket the
    // program makes itself, or sockets whose protocol nothing names (a library seen only through
    // the link's imports), bring both. socket(2) of a kind the kernel does not carry answers
    // EPROTONOSUPPORT. The name resolver's own UDP comes with the resolver, not with this switch.
    public static bool Tcp => true;

    public static bool Udp => true;

    // TCP's passive side: listen(2), accept(2), the SYN queue and SYN cookies. Only a program that
    // may listen (TcpListener, HttpListener, Kestrel, a Socket of its own) has it; in a client's
    // kernel listen(2) answers EOPNOTSUPP.
    public static bool TcpListen => true;

    // Answering ICMP echo requests (ping): on unless the project sets UnikraftIcmpEcho=false, as
    // Linux answers them unless icmp_echo_ignore_all is set.
    public static bool IcmpEcho => true;

    // IPv6 on the network interfaces (Ipv6Interface: neighbor discovery, ICMPv6): only in a kernel
    // one of whose <UnikraftNet> items gives an IPv6 address (Address6); elsewhere the interface
    // takes IPv4 and ARP alone and IPv6 frames are dropped unread.
    public static bool Ipv6 => true;

    // A connection passt (or a microvm's runner) forwards from the host's own loopback reaches a
    // listener bound to the kernel's loopback (HostLoopbackForwards): only in a kernel with a
    // passt or microvm item that forwards TCP ports.
    public static bool HostLoopbackForward => true;

    // inotify: the VFS tells the watches of a changed file or directory (VfsWatches). On when the
    // program can make an inotify instance (inotify_init1, the BCL's FileSystemWatcher through
    // the native layer: in a JIT run, which has no import list, when the program or a library it
    // references names a type that watches files), so a program that never watches pays nothing
    // on its file paths.
    public static bool Inotify => true;
}
