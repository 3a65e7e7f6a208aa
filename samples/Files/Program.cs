// Reads its greeting from the files packed into the kernel at build time, keeps a visit log in a
// host folder, and works in scratch space in memory. Plain System.IO calls throughout: the
// generator redirects each one to the kernel's VFS, and picks each call's mount from its path.
string motd = File.ReadAllText("/etc/motd");
Console.Write(motd);

string[] earlier = File.Exists("/data/visits.log") ? File.ReadAllLines("/data/visits.log") : [];
File.AppendAllText("/data/visits.log", "visit " + (earlier.Length + 1) + "\n");
Console.WriteLine("visits so far: " + (earlier.Length + 1));

Directory.CreateDirectory("/tmp/scratch");
File.WriteAllText("/tmp/scratch/b.txt", "second");
File.WriteAllText("/tmp/scratch/a.txt", "first");
foreach (string file in Directory.GetFiles("/tmp/scratch").Order())
{
    Console.WriteLine(file + ": " + File.ReadAllText(file));
}
