namespace Notes.Storage;

// Keeps notes as files under /notes with plain System.IO calls. Referenced by a program built with
// Unikraft.Gen, these calls are served by that program's kernel; by any other program, by the host.
public static class NoteStore
{
    public const string Folder = "/notes";

    public static void Add(string name, string text)
    {
        File.WriteAllText(Folder + "/" + name + ".txt", text);
        Console.WriteLine("stored " + name);
    }

    public static string Read(string name) => File.ReadAllText(Folder + "/" + name + ".txt");
}
