// Plain .NET: the build finds these calls and gives the program a kernel that serves them
// (see bin/Debug/net10.0/UnikraftConsole.kernel.txt for what is in it and why).
Console.WriteLine("Hello from UnikraftConsole, booted on its own kernel.");
await Task.Delay(10);
Console.WriteLine($"A random number from the kernel: {Random.Shared.Next(1, 7)}");
