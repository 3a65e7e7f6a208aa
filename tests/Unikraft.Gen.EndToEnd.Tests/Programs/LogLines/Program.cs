using Serilog;

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Debug()
    .WriteTo.Console(outputTemplate: "[{Level:u3}] {Message:lj}{NewLine}")
    .CreateLogger();

Log.Information("Counting {Count} words in {File}", 3, "notes.txt");

int total = 0;
using var done = new ManualResetEvent(false);
var worker = new Thread(() =>
{
    foreach (string word in new[] { "ants", "bees", "cats" })
    {
        total += word.Length;
    }

    Log.Debug("Worker counted {Letters} letters", total);
    done.Set();
});
worker.Start();
if (!done.WaitOne(TimeSpan.FromSeconds(10)))
{
    Log.Fatal("The worker never signalled");
    return 1;
}

try
{
    int zero = 0;
    Console.WriteLine(total / zero);
}
catch (DivideByZeroException ex)
{
    Log.Error(ex, "Dividing {Total} failed: {Error}", total, ex.GetType().Name);
}

await Log.CloseAndFlushAsync();
return 0;
