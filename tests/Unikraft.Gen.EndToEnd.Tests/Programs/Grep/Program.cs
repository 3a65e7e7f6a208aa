// grep -rn: prints each line that matches a regular expression in the files under a folder, with
// its file and line number, then how many files and lines matched.
using System.Text.RegularExpressions;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Grep PATTERN [FOLDER] [-i]");
    return 2;
}
var options = args.Contains("-i") ? RegexOptions.IgnoreCase : RegexOptions.None;
var pattern = new Regex(args[0], options);
string folder = args.Length > 1 && args[1] != "-i" ? args[1] : "/project";

int matchedLines = 0;
int matchedFiles = 0;
foreach (string path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
{
    bool any = false;
    using var reader = new StreamReader(path);
    int number = 0;
    string? line;
    while ((line = reader.ReadLine()) != null)
    {
        number++;
        if (pattern.IsMatch(line))
        {
            Console.WriteLine($"{path}:{number}: {line.Trim()}");
            matchedLines++;
            any = true;
        }
    }
    if (any)
    {
        matchedFiles++;
    }
}
Console.WriteLine($"{matchedLines} matching lines in {matchedFiles} files");
return matchedLines > 0 ? 0 : 1;
