// An ASP.NET Core project's static web assets (its wwwroot, the compressed copies the build makes,
// the scoped CSS bundle, the assets of packages and the framework) live, under `dotnet run`, in
// several host folders that the SDK's development manifest joins into one tree, and
// MapStaticAssets finds them through an endpoints manifest beside the program. On the kernel the
// program's folder and content root are "/" and the host's folders are not in its file system, so
// the build stages that tree into the root it packs (UnikraftOutputFilesRoot): each asset at
// wwwroot/<its path>, the web root a published app has, and the endpoints manifest at
// <program>.staticwebassets.endpoints.json. The development manifest itself stays out: its host
// paths mean nothing inside the kernel, and without it ASP.NET serves the staged web root.
namespace Unikraft.Gen.Build
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text.Json;
    using Microsoft.Build.Framework;

    public sealed class StaticWebAssetsRootTask : Microsoft.Build.Utilities.Task
    {
        // The SDK's development manifest (staticwebassets.development.json).
        [Required]
        public string DevelopmentManifest { get; set; } = "";

        // The SDK's build endpoints manifest (staticwebassets.build.endpoints.json).
        [Required]
        public string EndpointsManifest { get; set; } = "";

        // The staging folder of the kernel's root.
        [Required]
        public string Root { get; set; } = "";

        // The program's name: the endpoints manifest is <name>.staticwebassets.endpoints.json.
        [Required]
        public string ProgramName { get; set; } = "";

        // How many assets were staged.
        [Output]
        public int Staged { get; set; }

        public override bool Execute()
        {
            if (!File.Exists(DevelopmentManifest) || !File.Exists(EndpointsManifest))
            {
                Log.LogError("UnikraftOutputFilesRoot: the static web assets' manifests were not written by the build ("
                    + (File.Exists(DevelopmentManifest) ? EndpointsManifest : DevelopmentManifest) + " is missing), so the kernel's root cannot hold the web root");
                return false;
            }

            var assets = new SortedDictionary<string, string>(StringComparer.Ordinal);
            try
            {
                using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(DevelopmentManifest));
                JsonElement roots = manifest.RootElement.GetProperty("ContentRoots");
                var contentRoots = new List<string>();
                foreach (JsonElement root in roots.EnumerateArray())
                {
                    contentRoots.Add(root.GetString() ?? "");
                }
                Collect(manifest.RootElement.GetProperty("Root"), "", contentRoots, assets);
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Log.LogError("UnikraftOutputFilesRoot: the static web assets' development manifest " + DevelopmentManifest + " is not one this build reads: " + exception.Message);
                return false;
            }

            string webRoot = Path.Combine(Root, "wwwroot");
            foreach (KeyValuePair<string, string> asset in assets)
            {
                string target = Path.Combine(webRoot, asset.Key.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(asset.Value, target, overwrite: true);
            }
            File.Copy(EndpointsManifest, Path.Combine(Root, ProgramName + ".staticwebassets.endpoints.json"), overwrite: true);
            Staged = assets.Count;
            return !Log.HasLoggedErrors;
        }

        // The tree's node at path (relative, '/'-separated): its children's assets, then the files
        // its patterns match ("**": every file beneath the content root's folder at that path),
        // an explicit asset winning over a pattern's.
        private static void Collect(JsonElement node, string path, List<string> contentRoots, SortedDictionary<string, string> assets)
        {
            if (node.TryGetProperty("Children", out JsonElement children) && children.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty child in children.EnumerateObject())
                {
                    string childPath = path.Length == 0 ? child.Name : path + "/" + child.Name;
                    if (child.Value.TryGetProperty("Asset", out JsonElement asset) && asset.ValueKind == JsonValueKind.Object)
                    {
                        string file = Path.Combine(contentRoots[asset.GetProperty("ContentRootIndex").GetInt32()], asset.GetProperty("SubPath").GetString() ?? "");
                        if (File.Exists(file))
                        {
                            assets[childPath] = file;
                        }
                    }
                    Collect(child.Value, childPath, contentRoots, assets);
                }
            }

            if (node.TryGetProperty("Patterns", out JsonElement patterns) && patterns.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement pattern in patterns.EnumerateArray())
                {
                    if (pattern.GetProperty("Pattern").GetString() != "**")
                    {
                        continue;
                    }
                    string folder = Path.Combine(contentRoots[pattern.GetProperty("ContentRootIndex").GetInt32()], path.Replace('/', Path.DirectorySeparatorChar));
                    if (!Directory.Exists(folder))
                    {
                        continue;
                    }
                    foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
                    {
                        string relative = file.Substring(folder.Length).TrimStart(Path.DirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/');
                        string key = path.Length == 0 ? relative : path + "/" + relative;
                        if (!assets.ContainsKey(key))
                        {
                            assets[key] = file;
                        }
                    }
                }
            }
        }
    }
}
