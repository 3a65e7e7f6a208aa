// Sleeps, then draws a random number: the kernel needs time and randomness.
Thread.Sleep(10);
int roll = Random.Shared.Next(1, 7);
Console.WriteLine(roll >= 1 && roll <= 6 ? "rolled a die" : "impossible roll");
