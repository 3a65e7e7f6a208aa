using Newtonsoft.Json;

var notes = new List<Note>
{
    new("groceries", "ants, bees", 2),
    new("work", "write the report", 1),
};

File.WriteAllText("/notes/notes.json", JsonConvert.SerializeObject(notes, Formatting.Indented));
string text = File.ReadAllText("/notes/notes.json");
List<Note> back = JsonConvert.DeserializeObject<List<Note>>(text)!;
foreach (Note note in back.OrderBy(n => n.Priority))
{
    Console.WriteLine(note.Priority + " " + note.Title + ": " + note.Body);
}

Console.WriteLine("stored " + text.Length + " characters, " + back.Count + " notes");

public sealed record Note(string Title, string Body, int Priority);
