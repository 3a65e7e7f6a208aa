namespace Unikraft.Kernel;

// Attaches the console first, so that fds 0-2 exist before anything else can run.
internal static class ConsoleBoot
{
    [BootStep(Order = 10)]
    internal static void AttachConsole(Kernel kernel)
    {
        IConsoleDevice device = kernel.Platform.OpenConsole();
        kernel.Console = device;
        kernel.Files.Bind(ConsoleFile.StandardInput, new ConsoleFile(kernel, device));
        kernel.Files.Bind(ConsoleFile.StandardOutput, new ConsoleFile(device, ConsoleFile.StandardOutput));
        kernel.Files.Bind(ConsoleFile.StandardError, new ConsoleFile(device, ConsoleFile.StandardError));
    }
}
