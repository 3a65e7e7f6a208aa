using System;
using PlainJournal;

var journal = new Journal("/data/journal/log.txt");
journal.Append("run " + (journal.Entries().Count + 1));
Console.WriteLine(string.Join(",", journal.Entries()) + " (" + journal.SizeInBytes + " bytes)");

var scratch = new Journal("/tmp/scratch/notes.txt");
scratch.Append("a");
scratch.Append("b");
Console.WriteLine("scratch: " + scratch.Entries().Count + " entries");
