// A key-value store in one binary file: "set KEY VALUE", "get KEY", "delete KEY" and "list" on the
// command line, the pairs kept in /data/store.bin (a count, then each key and value, written with a
// BinaryWriter and read back with a BinaryReader).
const string StorePath = "/data/store.bin";
const int Magic = 0x4B565331; // "KVS1"

var store = new SortedDictionary<string, string>(StringComparer.Ordinal);
if (File.Exists(StorePath))
{
    using var reader = new BinaryReader(File.OpenRead(StorePath));
    if (reader.ReadInt32() != Magic)
    {
        Console.Error.WriteLine(StorePath + " is not a store");
        return 1;
    }
    int count = reader.ReadInt32();
    for (int i = 0; i < count; i++)
    {
        string key = reader.ReadString();
        store[key] = reader.ReadString();
    }
    Console.WriteLine($"opened {StorePath}: {count} keys");
}
else
{
    Console.WriteLine("new store");
}

bool changed = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "set":
            store[args[i + 1]] = args[i + 2];
            Console.WriteLine($"set {args[i + 1]}");
            changed = true;
            i += 2;
            break;
        case "get":
            Console.WriteLine(store.TryGetValue(args[i + 1], out string? value) ? $"{args[i + 1]} = {value}" : $"{args[i + 1]} not found");
            i += 1;
            break;
        case "delete":
            Console.WriteLine(store.Remove(args[i + 1]) ? $"deleted {args[i + 1]}" : $"{args[i + 1]} not found");
            changed = true;
            i += 1;
            break;
        case "list":
            foreach (KeyValuePair<string, string> pair in store)
            {
                Console.WriteLine($"  {pair.Key} = {pair.Value}");
            }
            break;
        default:
            Console.Error.WriteLine("unknown command " + args[i]);
            return 2;
    }
}

if (changed)
{
    string temporary = StorePath + ".new";
    using (var writer = new BinaryWriter(new FileStream(temporary, FileMode.Create, FileAccess.Write)))
    {
        writer.Write(Magic);
        writer.Write(store.Count);
        foreach (KeyValuePair<string, string> pair in store)
        {
            writer.Write(pair.Key);
            writer.Write(pair.Value);
        }
    }
    File.Move(temporary, StorePath, overwrite: true);
    Console.WriteLine($"saved {store.Count} keys, {new FileInfo(StorePath).Length} bytes");
}
// A tool that keeps files beside its executable looks there with AppContext.BaseDirectory: a
// host folder, which a NativeAOT image takes from the executable's path (SystemNative_GetProcessPath,
// which the kernel answers from what it read at boot: the confinement refuses reading
// /proc/self/exe once the program runs).
Console.WriteLine("program folder known: " + Path.IsPathRooted(AppContext.BaseDirectory));
return 0;
