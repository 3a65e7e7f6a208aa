// Asks a yes/no question with ReadKey and then a name with ReadLine, as small console games do:
// the ReadLine (intercepted) must echo what is typed, as the BCL's reader does on a terminal, and
// must get the keys the ReadKey already read from the terminal along with its own.
Console.Write("play? ");
ConsoleKeyInfo answer = Console.ReadKey(intercept: true);
Console.Write("[" + answer.KeyChar + "] name: ");
string? name = Console.ReadLine();
Console.WriteLine("hello " + name + "!");
