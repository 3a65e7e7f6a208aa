using System;

Console.WriteLine(HostCalls.Sneaky.OpenSocket());
Console.WriteLine(HostCalls.Sneaky.StartProcess());
