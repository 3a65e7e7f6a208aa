// A size as the configuration writes it: "65536", "512K", "64M", "1G". Shared by the analyzers,
// the generator (a mount's Size) and the build's tasks (an initrd's folder must fit its Size).
using System.Globalization;

namespace Unikraft.Gen.Support
{
    internal static class SizeText
    {
        // A ramfs's capacity when its mount gives no Size.
        public const long DefaultCapacityBytes = 64L * 1024 * 1024;

        public static bool TryParse(string text, out long bytes)
        {
            bytes = 0;
            if (text.Length == 0)
            {
                return false;
            }

            long multiplier = 1;
            char last = char.ToUpperInvariant(text[text.Length - 1]);
            if (last == 'K' || last == 'M' || last == 'G')
            {
                multiplier = last == 'K' ? 1024L : last == 'M' ? 1024L * 1024 : 1024L * 1024 * 1024;
                text = text.Substring(0, text.Length - 1);
            }

            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 && value <= long.MaxValue / multiplier)
            {
                bytes = value * multiplier;
                return true;
            }

            return false;
        }
    }
}
