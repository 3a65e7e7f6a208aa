// An async Main: delays and Task.Run run on the kernel's cooperative scheduler.
int threadBefore = Environment.CurrentManagedThreadId;
await Task.Delay(5);
int answer = await Task.Run(() => 21 * 2);
await Task.Run(async () => await Task.Delay(1));
Console.WriteLine($"answer {answer}, one thread: {threadBefore == Environment.CurrentManagedThreadId}");
