namespace Unikraft.Kernel;

internal static class RandomBoot
{
    [BootStep(Order = 30)]
    internal static void AttachRandom(Kernel kernel)
    {
        kernel.RandomDevice = kernel.Platform.OpenRandom();
    }
}
