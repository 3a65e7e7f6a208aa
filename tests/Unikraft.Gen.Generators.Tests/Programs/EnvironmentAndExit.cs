// Reads the boot environment and leaves with its own exit status.
string? value = Environment.GetEnvironmentVariable("UNIKRAFT_TEST_VALUE");
Console.WriteLine(value is null ? "no value" : "value " + value);
Environment.Exit(3);
