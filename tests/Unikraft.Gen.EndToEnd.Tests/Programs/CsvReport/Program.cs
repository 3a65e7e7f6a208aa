// Reads sales records from a CSV file and writes a report per region: units, revenue and the
// best-selling product, as a CSV file beside a summary on the console.
using System.Globalization;

string input = args.Length > 0 ? args[0] : "/input/sales.csv";
string output = args.Length > 1 ? args[1] : "/out/report.csv";

var totals = new SortedDictionary<string, RegionTotal>(StringComparer.Ordinal);
int skipped = 0;
using (var reader = new StreamReader(input))
{
    string? header = reader.ReadLine();
    Console.WriteLine("columns: " + header);
    string? line;
    while ((line = reader.ReadLine()) != null)
    {
        string[] fields = line.Split(',');
        if (fields.Length != 4 ||
            !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int units) ||
            !decimal.TryParse(fields[3], NumberStyles.Number, CultureInfo.InvariantCulture, out decimal price))
        {
            skipped++;
            continue;
        }
        if (!totals.TryGetValue(fields[0], out RegionTotal? total))
        {
            total = new RegionTotal();
            totals[fields[0]] = total;
        }
        total.Units += units;
        total.Revenue += units * price;
        total.ByProduct[fields[1]] = total.ByProduct.GetValueOrDefault(fields[1]) + units;
    }
}

using (var writer = new StreamWriter(output))
{
    writer.WriteLine("region,units,revenue,top product");
    foreach ((string region, RegionTotal total) in totals)
    {
        string top = total.ByProduct.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).First().Key;
        writer.WriteLine(string.Join(",", region, total.Units, total.Revenue.ToString("0.00", CultureInfo.InvariantCulture), top));
    }
}

Console.WriteLine($"{totals.Count} regions, {skipped} lines skipped, report {new FileInfo(output).Length} bytes:");
using (var check = new StreamReader(output))
{
    Console.Write(check.ReadToEnd());
}

internal sealed class RegionTotal
{
    public int Units { get; set; }

    public decimal Revenue { get; set; }

    public Dictionary<string, int> ByProduct { get; } = new Dictionary<string, int>(StringComparer.Ordinal);
}
