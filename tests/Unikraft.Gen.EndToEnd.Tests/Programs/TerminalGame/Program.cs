// Draws a player on a cleared screen in colour, says how big the window is, then moves the player
// with the arrow keys (and WASD) until q, as a small console game does.
// With the argument "signals" it also keeps going on Ctrl-C (CancelKeyPress, cancelled: it shows
// "[cancel]"), shows the window's size as it is now on z (after a resize), and on p waits for the
// next Ctrl-C without reading the console ("[paused]", then "[resumed]").
bool signals = args.Length > 0 && args[0] == "signals";
int cancels = 0;
if (signals)
{
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        Console.Write("[cancel]");
        Interlocked.Increment(ref cancels);
    };
}
Console.Title = "walk";
Console.Clear();
Console.CursorVisible = false;
Console.ForegroundColor = ConsoleColor.Yellow;
Console.BackgroundColor = ConsoleColor.DarkBlue;
Console.SetCursorPosition(2, 1);
Console.Write("@");
Console.ResetColor();
Console.SetCursorPosition(0, 3);
Console.Write("window " + Console.WindowWidth + "x" + Console.WindowHeight + ", keys?");

while (!Console.KeyAvailable)
{
    Thread.Sleep(10);
}

int x = 2;
int y = 1;
while (true)
{
    ConsoleKeyInfo key = Console.ReadKey(intercept: true);
    if (key.Key == ConsoleKey.Q)
    {
        break;
    }
    if (signals && key.Key == ConsoleKey.Z)
    {
        Console.Write("[window " + Console.WindowWidth + "x" + Console.WindowHeight + "]");
        continue;
    }
    if (signals && key.Key == ConsoleKey.P)
    {
        int before = Volatile.Read(ref cancels);
        Console.Write("[paused]");
        while (Volatile.Read(ref cancels) == before)
        {
            Thread.Sleep(10);
        }
        Console.Write("[resumed]");
        continue;
    }
    (x, y) = key.Key switch
    {
        ConsoleKey.LeftArrow or ConsoleKey.A => (x - 1, y),
        ConsoleKey.RightArrow or ConsoleKey.D => (x + 1, y),
        ConsoleKey.UpArrow or ConsoleKey.W => (x, y - 1),
        ConsoleKey.DownArrow or ConsoleKey.S => (x, y + 1),
        _ => (x, y),
    };
    Console.SetCursorPosition(x, y);
    Console.ForegroundColor = ConsoleColor.Green;
    Console.Write(key.Key.ToString()[0]);
}
Console.ResetColor();
Console.CursorVisible = true;
Console.SetCursorPosition(0, 5);
Console.WriteLine("at " + x + "," + y);
