// Reads its settings as a console tool does with Microsoft.Extensions.Configuration: a JSON file,
// an optional environment-specific JSON file and an INI file, later files overriding earlier
// ones. The library opens and reads the files itself.
using Microsoft.Extensions.Configuration;

string environment = args.Length > 0 ? args[0] : "Production";
IConfigurationRoot configuration = new ConfigurationBuilder()
    .SetBasePath("/etc/app")
    .AddJsonFile("appsettings.json", optional: false)
    .AddJsonFile($"appsettings.{environment}.json", optional: true)
    .AddIniFile("overrides.ini", optional: true)
    .Build();

Console.WriteLine("environment: " + environment);
Console.WriteLine("name: " + configuration["App:Name"]);
Console.WriteLine("log level: " + configuration["Logging:LogLevel:Default"]);
Console.WriteLine("database: " + configuration.GetConnectionString("Main"));
int retries = int.Parse(configuration["Http:Retries"] ?? "0");
Console.WriteLine("retries: " + retries + ", timeout: " + configuration["Http:TimeoutSeconds"] + " s");
Console.WriteLine("features:");
foreach (IConfigurationSection feature in configuration.GetSection("Features").GetChildren().OrderBy(s => s.Key, StringComparer.Ordinal))
{
    Console.WriteLine("  " + feature.Key + " = " + feature.Value);
}
Console.WriteLine("providers: " + string.Join(", ", configuration.Providers.Select(p => p.ToString())));
