// mounts: /|ramfs|||>/dev|devfs|||
// Only reads files: its kernel has no code that writes, creates, truncates, renames or unlinks.
bool exists = File.Exists("/etc/missing.conf");
string nothing = File.ReadAllText("/dev/null");
Console.WriteLine($"exists: {exists}, /dev/null holds {nothing.Length} characters");
