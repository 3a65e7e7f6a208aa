// ConfigureAwait(false) resumes on a thread-pool thread, not the kernel's: from there the program
// runs its own code (Checksum) while Main has not returned yet, writes to the console through the
// kernel, and returns its result as the exit status.
int mainThread = Environment.CurrentManagedThreadId;
Console.WriteLine("waiting");
await Task.Delay(20).ConfigureAwait(false);
int sum = Checksum("unikraft");
Console.WriteLine("checksum " + sum + ", on the kernel's thread: " + (Environment.CurrentManagedThreadId == mainThread));
await Task.Delay(5);
Console.WriteLine("after a second delay");
return sum;

static int Checksum(string text)
{
    int sum = 0;
    foreach (char c in text)
    {
        sum += c;
    }
    return sum % 200;
}
