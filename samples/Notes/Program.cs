using Notes.Storage;

NoteStore.Add("first", "written by a library, kept in the kernel's ramfs");
Console.WriteLine(NoteStore.Read("first"));
