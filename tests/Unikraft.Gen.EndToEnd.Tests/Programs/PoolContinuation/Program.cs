// ConfigureAwait(false) resumes on a thread-pool thread, not the kernel's: from there the program
// runs its own code (Checksum) while Main has not returned yet, and its result is the exit status.
Console.WriteLine("waiting");
await Task.Delay(20).ConfigureAwait(false);
return Checksum("unikraft");

static int Checksum(string text)
{
    int sum = 0;
    foreach (char c in text)
    {
        sum += c;
    }
    return sum % 200;
}
