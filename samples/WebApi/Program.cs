using System.Text.Json.Serialization;

var builder = WebApplication.CreateBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options =>
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));

var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles();

var todos = new List<Todo>
{
    new(1, "Boot the kernel", true),
    new(2, "Serve HTTP on its own TCP", true),
    new(3, "Answer curl from the host", false),
};

var api = app.MapGroup("/api/todos");
api.MapGet("/", () => todos);
api.MapGet("/{id:int}", (int id) => todos.Find(todo => todo.Id == id) is Todo todo ? Results.Ok(todo) : Results.NotFound());
api.MapPost("/", (Todo todo) =>
{
    var added = todo with { Id = todos.Count == 0 ? 1 : todos.Max(t => t.Id) + 1 };
    todos.Add(added);
    return Results.Created($"/api/todos/{added.Id}", added);
});

app.Run();

public record Todo(int Id, string Title, bool Done);

[JsonSerializable(typeof(List<Todo>))]
[JsonSerializable(typeof(Todo))]
internal partial class AppJsonContext : JsonSerializerContext
{
}
