// Top-level statements with local functions, lambdas, aliases, 'using static', generic calls and a partial class.
using static System.Console;
using Con = System.Console;

Greet("local function");
Action lambda = () => Con.WriteLine("lambda");
lambda();
int value = await Task.Run<int>(() => Helper.Twice(21));
WriteLine(value);
Helper.Say("partial class");

void Greet(string what) => WriteLine("hello from a " + what);

internal static partial class Helper
{
    public static int Twice(int x) => x * 2;
}

internal static partial class Helper
{
    public static void Say(string text) => Console.WriteLine(text);
}
