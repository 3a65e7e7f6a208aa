// A static web site: the files under /wwwroot of the kernel's initrd (the project's
// rootfs/wwwroot), served by ASP.NET Core's own middleware with what it gives every file:
// its content type, ETag and Last-Modified with 304 Not Modified, HEAD, and byte ranges.
var builder = WebApplication.CreateSlimBuilder(args);

var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles();

app.Run();
