// Up until its standard input ends; the kernel answers the network meanwhile.
Console.WriteLine("up");
while (Console.ReadLine() is string line)
{
    Console.WriteLine("read " + line);
}
Console.WriteLine("down");
