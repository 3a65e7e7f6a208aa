// Each line: an attempt to reach the host outside /data (a hostfs folder holding a symbolic
// link 'outside' to a folder beyond it), and what the BCL reported.
Console.WriteLine("dotdot: " + Try(() => new StreamReader("/data/../../../../etc/hostname").ReadToEnd()));
Console.WriteLine("exists-through-link: " + Try(() => new FileInfo("/data/outside/secret.txt").Exists.ToString()));
Console.WriteLine("read-through-link: " + Try(() => new StreamReader("/data/outside/secret.txt").ReadToEnd()));
Console.WriteLine("list-through-link: " + Try(() => string.Join(",", new DirectoryInfo("/data/outside").EnumerateFiles().Select(f => f.Name))));
Console.WriteLine("create-through-link: " + Try(() => { using var stream = new FileStream("/data/outside/new.txt", FileMode.CreateNew); return "created"; }));
Console.WriteLine("copy-out: " + Try(() => { new FileInfo("/data/inside.txt").CopyTo("/data/outside/copied.txt"); return "copied"; }));
Console.WriteLine("link-is-a-link: " + Try(() => (new FileInfo("/data/outside").LinkTarget is not null).ToString()));
Console.WriteLine("inside: " + Try(() => new StreamReader("/data/inside.txt").ReadToEnd()));

static string Try(Func<string> attempt)
{
    try
    {
        return attempt();
    }
    catch (Exception exception)
    {
        return exception.GetType().Name;
    }
}
