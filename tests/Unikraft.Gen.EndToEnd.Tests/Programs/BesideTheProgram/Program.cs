// A till that reads its price list and its receipt template from the folder it runs from, found
// the way most console tools find their files: AppContext.BaseDirectory (and the older
// AppDomain.CurrentDomain.BaseDirectory), not the current directory.
using System.Globalization;
using System.Text.Json;

string folder = AppContext.BaseDirectory;
string prices = Path.Combine(folder, "prices.json");
string template = Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "templates", "receipt.txt");
if (!File.Exists(prices) || !File.Exists(template))
{
    Console.Error.WriteLine("missing beside the program: " + (File.Exists(prices) ? template : prices));
    return 1;
}

var list = new Dictionary<string, decimal>();
using (JsonDocument document = JsonDocument.Parse(File.ReadAllText(prices)))
{
    foreach (JsonProperty property in document.RootElement.EnumerateObject())
    {
        list[property.Name] = property.Value.GetDecimal();
    }
}
var lines = new List<string>();
decimal total = 0;
foreach (string item in args.Length > 0 ? args : ["tea", "cake"])
{
    if (list.TryGetValue(item, out decimal price))
    {
        lines.Add(item.PadRight(6) + price.ToString("0.00", CultureInfo.InvariantCulture));
        total += price;
    }
    else
    {
        lines.Add(item + ": not on the list");
    }
}
Console.Write(File.ReadAllText(template)
    .Replace("{lines}", string.Join("\n", lines))
    .Replace("{total}", total.ToString("0.00", CultureInfo.InvariantCulture)));
Console.WriteLine("files beside the program: " + Directory.GetFiles(folder, "*.json").Length + " json, "
    + Directory.GetFiles(Path.Combine(folder, "templates")).Length + " template");
return 0;
