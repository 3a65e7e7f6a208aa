// A todo list on a data file: reads commands from standard input (add, done, remove, list), keeps
// the list in /data/todo.json between runs.
using System.Text.Json;
using System.Text.Json.Serialization;

const string DataFile = "/data/todo.json";

List<TodoItem> items = Load();
Console.WriteLine(items.Count == 0 ? "no saved items" : "loaded " + items.Count + " items");

string? line;
while ((line = Console.ReadLine()) != null)
{
    string[] parts = line.Trim().Split(' ', 2);
    switch (parts[0])
    {
        case "add" when parts.Length == 2:
            items.Add(new TodoItem { Title = parts[1], Created = new DateTime(2026, 1, items.Count + 1) });
            Save();
            Console.WriteLine("added #" + items.Count);
            break;
        case "done" when parts.Length == 2 && int.TryParse(parts[1], out int done) && done >= 1 && done <= items.Count:
            items[done - 1].Done = true;
            Save();
            Console.WriteLine("done #" + done);
            break;
        case "remove" when parts.Length == 2 && int.TryParse(parts[1], out int removed) && removed >= 1 && removed <= items.Count:
            items.RemoveAt(removed - 1);
            Save();
            Console.WriteLine("removed #" + removed);
            break;
        case "list":
            for (int i = 0; i < items.Count; i++)
            {
                Console.WriteLine($"{i + 1}. [{(items[i].Done ? "x" : " ")}] {items[i].Title} ({items[i].Created:yyyy-MM-dd})");
            }
            Console.WriteLine(items.Count(item => !item.Done) + " left");
            break;
        case "":
            break;
        default:
            Console.WriteLine("unknown command: " + line);
            break;
    }
}
Console.WriteLine("saved in " + DataFile + ": " + new FileInfo(DataFile).Length + " bytes");

List<TodoItem> Load()
{
    if (!File.Exists(DataFile))
    {
        return new List<TodoItem>();
    }
    using FileStream stream = File.OpenRead(DataFile);
    return JsonSerializer.Deserialize(stream, TodoJson.Default.ListTodoItem) ?? new List<TodoItem>();
}

void Save()
{
    string json = JsonSerializer.Serialize(items, TodoJson.Default.ListTodoItem);
    File.WriteAllText(DataFile, json);
}

internal sealed class TodoItem
{
    public string Title { get; set; } = "";

    public bool Done { get; set; }

    public DateTime Created { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(List<TodoItem>))]
internal sealed partial class TodoJson : JsonSerializerContext
{
}
