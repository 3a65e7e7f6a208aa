namespace Unikraft.Kernel;

using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

// The native layer under the JIT (dotnet run). There the BCL's native shim is not linked into the
// program: a program built for the route (UnikraftNativeLayer, self-contained for linux-x64, see
// docs/architecture.md) carries, as its app-local libSystem.Native.so, a library of jump slots that
// the build generated from the runtime's own (build/NativeSlots.cs): each SystemNative_* function
// jumps through a slot, and every slot starts at the host's function (in a copy beside it, its
// exports renamed so that only the slots reach them; the loader fills the slots).
// This boot step points the slot of each function the kernel serves at its entry point, the same
// [UnmanagedCallersOnly] method a NativeAOT link reaches through --wrap, and seals the rest: a slot
// that is neither served nor a reviewed helper (build/NativeHelpers.txt) stops the program with a
// log line naming the function instead of reaching the host. In a NativeAOT image, in the kernel's
// own tests and in a framework-dependent run there is no such library, and nothing happens.
internal static unsafe class NativeSlots
{
    // NOTE: the names the generated library exports (build/NativeSlotsElf.cs writes them): the
    // slot table (one pointer a function), the functions' names (NUL-separated, in slot order),
    // one byte a slot that is 1 for a reviewed helper, the number of slots, and for each slot the
    // address of the stub that refuses its function.
    private const string LibraryName = "libSystem.Native.so";
    private const string TableExport = "UnikraftSlots_Table";
    private const string NamesExport = "UnikraftSlots_Names";
    private const string HelpersExport = "UnikraftSlots_Helpers";
    private const string CountExport = "UnikraftSlots_Count";
    private const string RefusalsExport = "UnikraftSlots_Refusals";

    // Points the slots at this kernel's entry points; the number of functions it serves, or -1
    // when the program does not run on the jump-slot library.
    public static int Attach(Kernel kernel)
    {
        string path = Path.Combine(AppContext.BaseDirectory, LibraryName);
        if (!NativeLibrary.TryLoad(path, out nint library))
        {
            return -1;
        }
        if (!NativeLibrary.TryGetExport(library, TableExport, out nint table) || !NativeLibrary.TryGetExport(library, NamesExport, out nint names)
            || !NativeLibrary.TryGetExport(library, HelpersExport, out nint helpers) || !NativeLibrary.TryGetExport(library, CountExport, out nint count)
            || !NativeLibrary.TryGetExport(library, RefusalsExport, out nint refusals))
        {
            return -1;
        }
        var slots = new Slots((nint*)table, (byte*)names, (byte*)helpers, *(int*)count, (nint*)refusals, kernel);
        int served = 0;
        served += slots.Point("SystemNative_Access", (nint)(delegate* unmanaged<nint, int, int>)&NativeFiles.Access);
        served += slots.Point("SystemNative_ChDir", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.ChDir);
        served += slots.Point("SystemNative_ChMod", (nint)(delegate* unmanaged<nint, int, int>)&NativeSharedMemory.ChMod);
        served += slots.Point("SystemNative_Close", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.Close);
        served += slots.Point("SystemNative_CloseDir", (nint)(delegate* unmanaged<nint, int>)&NativeDirectories.CloseDir);
        served += slots.Point("SystemNative_ConfigureTerminalForChildProcess", (nint)(delegate* unmanaged<int, void>)&NativeProcesses.ConfigureTerminalForChildProcess);
        served += slots.Point("SystemNative_CopyFile", (nint)(delegate* unmanaged<nint, nint, long, int>)&NativeFiles.CopyFile);
        served += slots.Point("SystemNative_CreateNetworkChangeListenerSocket", (nint)(delegate* unmanaged<nint, int>)&NativeNetworkInformation.CreateNetworkChangeListenerSocket);
        served += slots.Point("SystemNative_Dup", (nint)(delegate* unmanaged<nint, nint>)&NativeFiles.Dup);
        served += slots.Point("SystemNative_FAllocate", (nint)(delegate* unmanaged<nint, long, long, int>)&NativeFiles.FAllocate);
        served += slots.Point("SystemNative_FChMod", (nint)(delegate* unmanaged<nint, int, int>)&NativeSharedMemory.FChMod);
        served += slots.Point("SystemNative_FLock", (nint)(delegate* unmanaged<nint, int, int>)&NativeFiles.FLock);
        served += slots.Point("SystemNative_FStat", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.FStat);
        served += slots.Point("SystemNative_FSync", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.FSync);
        served += slots.Point("SystemNative_FTruncate", (nint)(delegate* unmanaged<nint, long, int>)&NativeFiles.FTruncate);
        served += slots.Point("SystemNative_FUTimens", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.FUTimens);
        served += slots.Point("SystemNative_FcntlGetFD", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.FcntlGetFD);
        served += slots.Point("SystemNative_FcntlGetIsNonBlocking", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.FcntlGetIsNonBlocking);
        served += slots.Point("SystemNative_FcntlSetFD", (nint)(delegate* unmanaged<nint, int, int>)&NativeFiles.FcntlSetFD);
        served += slots.Point("SystemNative_FcntlSetIsNonBlocking", (nint)(delegate* unmanaged<nint, int, int>)&NativeFiles.FcntlSetIsNonBlocking);
        served += slots.Point("SystemNative_ForkAndExecProcess", (nint)(delegate* unmanaged<nint, int>)&NativeProcesses.ForkAndExecProcess);
        served += slots.Point("SystemNative_GetControlCharacters", (nint)(delegate* unmanaged<nint, nint, int, nint, void>)&NativeConsole.GetControlCharacters);
        served += slots.Point("SystemNative_GetCryptographicallySecureRandomBytes", (nint)(delegate* unmanaged<nint, int, int>)&NativeRandom.GetCryptographicallySecureRandomBytes);
        served += slots.Point("SystemNative_GetCwd", (nint)(delegate* unmanaged<nint, int, nint>)&NativeFiles.GetCwd);
        served += slots.Point("SystemNative_GetFileSystemType", (nint)(delegate* unmanaged<nint, uint>)&NativeFiles.GetFileSystemType);
        served += slots.Point("SystemNative_GetGroupList", (nint)(delegate* unmanaged<nint, uint, nint, nint, int>)&NativeProcesses.GetGroupList);
        served += slots.Point("SystemNative_GetNetworkInterfaces", (nint)(delegate* unmanaged<nint, nint, nint, nint, int>)&NativeNetworkInformation.GetNetworkInterfaces);
        served += slots.Point("SystemNative_GetNonCryptographicallySecureRandomBytes", (nint)(delegate* unmanaged<nint, int, void>)&NativeRandom.GetNonCryptographicallySecureRandomBytes);
        served += slots.Point("SystemNative_GetProcessPath", (nint)(delegate* unmanaged<nint>)&NativeProcesses.GetProcessPath);
        served += slots.Point("SystemNative_GetPwNamR", (nint)(delegate* unmanaged<nint, nint, nint, int, int>)&NativeProcesses.GetPwNamR);
        served += slots.Point("SystemNative_GetSignalForBreak", (nint)(delegate* unmanaged<int>)&NativeConsole.GetSignalForBreak);
        served += slots.Point("SystemNative_GetUnixRelease", (nint)(delegate* unmanaged<nint>)&NativeSystemInfo.GetUnixRelease);
        served += slots.Point("SystemNative_GetUnixVersion", (nint)(delegate* unmanaged<nint, nint, int>)&NativeSystemInfo.GetUnixVersion);
        served += slots.Point("SystemNative_GetWindowSize", (nint)(delegate* unmanaged<nint, nint, int>)&NativeConsole.GetWindowSize);
        served += slots.Point("SystemNative_InitializeConsoleBeforeRead", (nint)(delegate* unmanaged<byte, byte, void>)&NativeConsole.InitializeConsoleBeforeRead);
        served += slots.Point("SystemNative_IsATty", (nint)(delegate* unmanaged<nint, int>)&NativeConsole.IsATty);
        served += slots.Point("SystemNative_IsMemfdSupported", (nint)(delegate* unmanaged<int>)&NativeSharedMemory.IsMemfdSupported);
        served += slots.Point("SystemNative_Kill", (nint)(delegate* unmanaged<int, int, int>)&NativeProcesses.Kill);
        served += slots.Point("SystemNative_LSeek", (nint)(delegate* unmanaged<nint, long, int, long>)&NativeFiles.LSeek);
        served += slots.Point("SystemNative_LStat", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.LStat);
        served += slots.Point("SystemNative_Link", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.Link);
        served += slots.Point("SystemNative_MMap", (nint)(delegate* unmanaged<nint, ulong, int, int, nint, long, nint>)&NativeMemory.MMap);
        served += slots.Point("SystemNative_MemfdCreate", (nint)(delegate* unmanaged<nint, int, nint>)&NativeSharedMemory.MemfdCreate);
        served += slots.Point("SystemNative_MkDir", (nint)(delegate* unmanaged<nint, int, int>)&NativeFiles.MkDir);
        served += slots.Point("SystemNative_MksTemps", (nint)(delegate* unmanaged<nint, int, nint>)&NativeFiles.MksTemps);
        served += slots.Point("SystemNative_Open", (nint)(delegate* unmanaged<nint, int, int, nint>)&NativeFiles.Open);
        served += slots.Point("SystemNative_OpenDir", (nint)(delegate* unmanaged<nint, nint>)&NativeDirectories.OpenDir);
        served += slots.Point("SystemNative_PRead", (nint)(delegate* unmanaged<nint, nint, int, long, int>)&NativeFiles.PRead);
        served += slots.Point("SystemNative_PReadV", (nint)(delegate* unmanaged<nint, nint, int, long, long>)&NativeFiles.PReadV);
        served += slots.Point("SystemNative_PWrite", (nint)(delegate* unmanaged<nint, nint, int, long, int>)&NativeFiles.PWrite);
        served += slots.Point("SystemNative_PWriteV", (nint)(delegate* unmanaged<nint, nint, int, long, long>)&NativeFiles.PWriteV);
        served += slots.Point("SystemNative_Pipe", (nint)(delegate* unmanaged<nint, int, int>)&NativeReadiness.Pipe);
        served += slots.Point("SystemNative_Poll", (nint)(delegate* unmanaged<nint, uint, int, nint, int>)&NativeReadiness.Poll);
        served += slots.Point("SystemNative_PosixFAdvise", (nint)(delegate* unmanaged<nint, long, long, int, int>)&NativeFiles.PosixFAdvise);
        served += slots.Point("SystemNative_Read", (nint)(delegate* unmanaged<nint, nint, int, int>)&NativeFiles.Read);
        served += slots.Point("SystemNative_ReadDir", (nint)(delegate* unmanaged<nint, nint, int>)&NativeDirectories.ReadDir);
        served += slots.Point("SystemNative_ReadEvents", (nint)(delegate* unmanaged<nint, nint, int>)&NativeNetworkInformation.ReadEvents);
        served += slots.Point("SystemNative_ReadLink", (nint)(delegate* unmanaged<nint, nint, int, int>)&NativeFiles.ReadLink);
        served += slots.Point("SystemNative_ReadStdin", (nint)(delegate* unmanaged<nint, int, int>)&NativeConsole.ReadStdin);
        served += slots.Point("SystemNative_Rename", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.Rename);
        served += slots.Point("SystemNative_RmDir", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.RmDir);
        served += slots.Point("SystemNative_SetKeypadXmit", (nint)(delegate* unmanaged<nint, nint, void>)&NativeConsole.SetKeypadXmit);
        served += slots.Point("SystemNative_SetSignalForBreak", (nint)(delegate* unmanaged<int, int>)&NativeConsole.SetSignalForBreak);
        served += slots.Point("SystemNative_ShmOpen", (nint)(delegate* unmanaged<nint, int, int, nint>)&NativeSharedMemory.ShmOpen);
        served += slots.Point("SystemNative_ShmUnlink", (nint)(delegate* unmanaged<nint, int>)&NativeSharedMemory.ShmUnlink);
        served += slots.Point("SystemNative_Stat", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.StatPath);
        served += slots.Point("SystemNative_StdinReady", (nint)(delegate* unmanaged<int>)&NativeConsole.StdinReady);
        served += slots.Point("SystemNative_SymLink", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.SymLink);
        served += slots.Point("SystemNative_UTimensat", (nint)(delegate* unmanaged<nint, nint, int>)&NativeFiles.UTimensat);
        served += slots.Point("SystemNative_UninitializeConsoleAfterRead", (nint)(delegate* unmanaged<void>)&NativeConsole.UninitializeConsoleAfterRead);
        served += slots.Point("SystemNative_Unlink", (nint)(delegate* unmanaged<nint, int>)&NativeFiles.Unlink);
        served += slots.Point("SystemNative_WaitIdAnyExitedNoHangNoWait", (nint)(delegate* unmanaged<int>)&NativeProcesses.WaitIdAnyExitedNoHangNoWait);
        served += slots.Point("SystemNative_WaitPidExitedNoHang", (nint)(delegate* unmanaged<int, nint, int>)&NativeProcesses.WaitPidExitedNoHang);
        served += slots.Point("SystemNative_Write", (nint)(delegate* unmanaged<nint, nint, int, int>)&NativeFiles.Write);
        // The inotify functions only where the program has a type that watches files
        // (KernelFeatures.Inotify): elsewhere their slots are sealed with the rest.
        if (KernelFeatures.Inotify)
        {
            served += slots.Point("SystemNative_INotifyAddWatch", (nint)(delegate* unmanaged<nint, nint, uint, int>)&NativeNotify.INotifyAddWatch);
            served += slots.Point("SystemNative_INotifyInit", (nint)(delegate* unmanaged<nint>)&NativeNotify.INotifyInit);
            served += slots.Point("SystemNative_INotifyRemoveWatch", (nint)(delegate* unmanaged<nint, int, int>)&NativeNotify.INotifyRemoveWatch);
        }
        // The socket and name-resolution functions only where the program may make sockets
        // (KernelFeatures.Sockets): elsewhere their slots are sealed with the rest, and the
        // network stack and the resolver stay out.
        if (KernelFeatures.Sockets)
        {
            served += slots.Point("SystemNative_Accept", (nint)(delegate* unmanaged<nint, nint, nint, nint, int>)&NativeSockets.Accept);
            served += slots.Point("SystemNative_Bind", (nint)(delegate* unmanaged<nint, int, nint, int, int>)&NativeSockets.Bind);
            served += slots.Point("SystemNative_CloseSocketEventPort", (nint)(delegate* unmanaged<nint, int>)&NativeSocketEvents.CloseSocketEventPort);
            served += slots.Point("SystemNative_Connect", (nint)(delegate* unmanaged<nint, nint, int, int>)&NativeSockets.Connect);
            served += slots.Point("SystemNative_Connectx", (nint)(delegate* unmanaged<nint, nint, int, nint, int, int, nint, int>)&NativeSockets.Connectx);
            served += slots.Point("SystemNative_CreateSocketEventBuffer", (nint)(delegate* unmanaged<int, nint, int>)&NativeSocketEvents.CreateSocketEventBuffer);
            served += slots.Point("SystemNative_CreateSocketEventPort", (nint)(delegate* unmanaged<nint, int>)&NativeSocketEvents.CreateSocketEventPort);
            served += slots.Point("SystemNative_Disconnect", (nint)(delegate* unmanaged<nint, int>)&NativeSockets.Disconnect);
            served += slots.Point("SystemNative_FreeHostEntry", (nint)(delegate* unmanaged<nint, void>)&NativeNames.FreeHostEntry);
            served += slots.Point("SystemNative_FreeSocketEventBuffer", (nint)(delegate* unmanaged<nint, int>)&NativeSocketEvents.FreeSocketEventBuffer);
            served += slots.Point("SystemNative_GetBytesAvailable", (nint)(delegate* unmanaged<nint, nint, int>)&NativeSockets.GetBytesAvailable);
            served += slots.Point("SystemNative_GetDomainName", (nint)(delegate* unmanaged<nint, int, int>)&NativeNames.GetDomainName);
            served += slots.Point("SystemNative_GetHostEntryForName", (nint)(delegate* unmanaged<nint, int, nint, int>)&NativeNames.GetHostEntryForName);
            served += slots.Point("SystemNative_GetHostName", (nint)(delegate* unmanaged<nint, int, int>)&NativeNames.GetHostName);
            served += slots.Point("SystemNative_GetIPv4MulticastOption", (nint)(delegate* unmanaged<nint, int, nint, int>)&NativeSockets.GetIPv4MulticastOption);
            served += slots.Point("SystemNative_GetIPv6MulticastOption", (nint)(delegate* unmanaged<nint, int, nint, int>)&NativeSockets.GetIPv6MulticastOption);
            served += slots.Point("SystemNative_GetLingerOption", (nint)(delegate* unmanaged<nint, nint, int>)&NativeSockets.GetLingerOption);
            served += slots.Point("SystemNative_GetNameInfo", (nint)(delegate* unmanaged<nint, uint, byte, nint, uint, nint, uint, int, int>)&NativeNames.GetNameInfo);
            served += slots.Point("SystemNative_GetPeerName", (nint)(delegate* unmanaged<nint, nint, nint, int>)&NativeSockets.GetPeerName);
            served += slots.Point("SystemNative_GetSockName", (nint)(delegate* unmanaged<nint, nint, nint, int>)&NativeSockets.GetSockName);
            served += slots.Point("SystemNative_GetSockOpt", (nint)(delegate* unmanaged<nint, int, int, nint, nint, int>)&NativeSockets.GetSockOpt);
            served += slots.Point("SystemNative_GetSocketErrorOption", (nint)(delegate* unmanaged<nint, nint, int>)&NativeSockets.GetSocketErrorOption);
            served += slots.Point("SystemNative_GetSocketType", (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, int>)&NativeSockets.GetSocketType);
            served += slots.Point("SystemNative_InterfaceNameToIndex", (nint)(delegate* unmanaged<nint, uint>)&NativeSockets.InterfaceNameToIndex);
            served += slots.Point("SystemNative_Listen", (nint)(delegate* unmanaged<nint, int, int>)&NativeSockets.Listen);
            served += slots.Point("SystemNative_Receive", (nint)(delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Receive);
            served += slots.Point("SystemNative_ReceiveMessage", (nint)(delegate* unmanaged<nint, nint, int, nint, int>)&NativeSockets.ReceiveMessage);
            served += slots.Point("SystemNative_Send", (nint)(delegate* unmanaged<nint, nint, int, int, nint, int>)&NativeSockets.Send);
            served += slots.Point("SystemNative_SendMessage", (nint)(delegate* unmanaged<nint, nint, int, nint, int>)&NativeSockets.SendMessage);
            served += slots.Point("SystemNative_SetIPv4MulticastOption", (nint)(delegate* unmanaged<nint, int, nint, int>)&NativeSockets.SetIPv4MulticastOption);
            served += slots.Point("SystemNative_SetIPv6MulticastOption", (nint)(delegate* unmanaged<nint, int, nint, int>)&NativeSockets.SetIPv6MulticastOption);
            served += slots.Point("SystemNative_SetLingerOption", (nint)(delegate* unmanaged<nint, nint, int>)&NativeSockets.SetLingerOption);
            served += slots.Point("SystemNative_SetReceiveTimeout", (nint)(delegate* unmanaged<nint, int, int>)&NativeSockets.SetReceiveTimeout);
            served += slots.Point("SystemNative_SetSendTimeout", (nint)(delegate* unmanaged<nint, int, int>)&NativeSockets.SetSendTimeout);
            served += slots.Point("SystemNative_SetSockOpt", (nint)(delegate* unmanaged<nint, int, int, nint, int, int>)&NativeSockets.SetSockOpt);
            served += slots.Point("SystemNative_Shutdown", (nint)(delegate* unmanaged<nint, int, int>)&NativeSockets.Shutdown);
            served += slots.Point("SystemNative_Socket", (nint)(delegate* unmanaged<int, int, int, nint, int>)&NativeSockets.Socket);
            served += slots.Point("SystemNative_TryChangeSocketEventRegistration", (nint)(delegate* unmanaged<nint, nint, int, int, nuint, int>)&NativeSocketEvents.TryChangeSocketEventRegistration);
            served += slots.Point("SystemNative_WaitForSocketEvents", (nint)(delegate* unmanaged<nint, nint, nint, int>)&NativeSocketEvents.WaitForSocketEvents);
        }
        // The others that are not reviewed helpers now stop the program, naming the function.
        slots.Seal();
        return served;
    }

    // The library's slot table. A slot is one aligned pointer: a store is atomic, so a thread that
    // calls the function meanwhile jumps to the old target or the new one.
    private sealed class Slots
    {
        private readonly nint* table;
        private readonly byte* helpers;
        private readonly int count;
        private readonly nint* refusals;
        private readonly Kernel kernel;
        private readonly Dictionary<string, int> indexes;
        private readonly bool[] pointed;

        public Slots(nint* table, byte* names, byte* helpers, int count, nint* refusals, Kernel kernel)
        {
            this.table = table;
            this.helpers = helpers;
            this.count = count;
            this.refusals = refusals;
            this.kernel = kernel;
            indexes = new Dictionary<string, int>(count, StringComparer.Ordinal);
            pointed = new bool[count];
            byte* name = names;
            for (int index = 0; index < count; index++)
            {
                string function = Marshal.PtrToStringUTF8((nint)name)!;
                indexes[function] = index;
                name += Encoding.UTF8.GetByteCount(function) + 1;
            }
        }

        // 1 when the library has the function and its slot now leads to the kernel; a function the
        // runtime no longer exports is said on the log (the kernel serves one this runtime lacks).
        public int Point(string function, nint entry)
        {
            if (indexes.TryGetValue(function, out int index))
            {
                Volatile.Write(ref table[index], entry);
                pointed[index] = true;
                return 1;
            }
            kernel.Log.Write("[uk] native layer: the runtime's libSystem.Native has no " + function + "; the kernel's entry point for it is unused");
            return 0;
        }

        // Points every slot neither pointed at the kernel nor a reviewed helper at its refusal.
        public void Seal()
        {
            for (int index = 0; index < count; index++)
            {
                if (!pointed[index] && helpers[index] == 0)
                {
                    Volatile.Write(ref table[index], refusals[index]);
                }
            }
        }
    }
}
