// Reads standard input line by line while a timer ticks on the same kernel. The hosted console
// reads the host's stdin on a thread of its own and the read waits on the kernel's wait queue,
// so the timer's continuations keep running while no line has arrived: each line says whether
// the timer ticked while the program waited for it.
int ticks = 0;
await Task.Delay(1);
_ = Tick();
Console.WriteLine("waiting for input");
int count = 0;
int ticksBefore = ticks;
string? line;
while ((line = Console.ReadLine()) != null)
{
    count++;
    Console.WriteLine("line " + count + ": " + line + ", ticked while waiting: " + (ticks - ticksBefore > 5));
    ticksBefore = ticks;
}
Console.WriteLine("end of input after " + count + " lines");
return 0;

async Task Tick()
{
    while (true)
    {
        await Task.Delay(10);
        ticks++;
    }
}
