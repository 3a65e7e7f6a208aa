// A program written the classic way: a private static Main in a class.
namespace Demo
{
    using System;

    internal class Program
    {
        private static int Main(string[] args)
        {
            Console.Write("classic main with ");
            Console.WriteLine(args.Length);
            return 0;
        }
    }
}
