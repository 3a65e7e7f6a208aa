// The native layer's jump-slot library, written as an ELF shared object by the build itself (no C
// compiler): x86-64, ELF64, for glibc's loader. NativeSlots.cs says what the library is for; this
// file makes its bytes, and the renamed copy of the runtime's own library that its slots start at.
//
// How the slots start at the runtime's functions with no code of their own: the copy of the
// runtime's libSystem.Native.so that goes beside the slot library (libSystem.Native.host.so) has
// its SystemNative_ exports renamed to UnikraftHost_ (the same length, so the string table keeps
// its size; the GNU hash table is rebuilt in place for the new names). The slot library needs that
// copy (DT_NEEDED, found through DT_RUNPATH $ORIGIN) and each slot is a data word with an
// R_X86_64_64 relocation against UnikraftHost_<name>: the loader fills every slot with the
// runtime's function when it loads the library, before anything can call it. Renamed, the copy's
// functions cannot be reached by the runtime's names, neither by the slot library's own lookups
// (which would find its own exports first) nor by anyone else's.
//
// The library exports, for each SystemNative_ name, a function that is one `jmp *slot(%rip)`, and
// for the kernel's boot (kernel/Native/NativeSlots.cs) the slot table and what it needs to point
// and seal slots: the names, the reviewed helpers, and for each slot a refusal stub that writes
// "[uk] native layer: <name> is not served by the kernel ..." on stderr and ends the process with
// status 134 (raw syscalls: no libc).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Unikraft.Gen.Build
{
    public static class NativeSlotsElf
    {
        // The prefix the renamed copy's exports carry instead of NativeLayerDecision.Prefix
        // ("SystemNative_"): the same length.
        public const string HostPrefix = "UnikraftHost_";

        public const string TableSymbol = "UnikraftSlots_Table";
        public const string NamesSymbol = "UnikraftSlots_Names";
        public const string HelpersSymbol = "UnikraftSlots_Helpers";
        public const string CountSymbol = "UnikraftSlots_Count";
        public const string RefusalsSymbol = "UnikraftSlots_Refusals";

        private const string RefusalPrefix = "[uk] native layer: ";
        private const string RefusalSuffix = " is not served by the kernel and is not a reviewed helper: the call would reach the host, so the program stops\n";

        // NOTE: the ELF-64 and x86-64 psABI numbers this writer uses.
        private const int HeaderSize = 64;
        private const int ProgramHeaderSize = 56;
        private const int SectionHeaderSize = 64;
        private const int SymbolSize = 24;
        private const int RelocationSize = 24;
        private const int PageSize = 0x1000;
        private const int StubSize = 8;
        private const int RefusalSize = 32;
        private const uint TypeAbsolute64 = 1;
        private const uint TypeRelative = 8;

        // The slot library for these SystemNative_ exports (sorted, as NativeSlotsSource.Exports
        // gives them); helpers are the reviewed helpers, whose slots sealing leaves alone.
        public static byte[] Write(IList<string> exports, ICollection<string> helpers)
        {
            if (exports.Count == 0)
            {
                throw new ArgumentException("no SystemNative_ function to make slots for", nameof(exports));
            }

            foreach (string name in exports)
            {
                if (!name.StartsWith(NativeLayerDecision.Prefix, StringComparison.Ordinal) || name.IndexOf('\0') >= 0)
                {
                    throw new ArgumentException("'" + name + "' is not a SystemNative_ function name", nameof(exports));
                }
            }

            int count = exports.Count;

            // The dynamic string table.
            var strings = new StringTable();
            int neededName = strings.Add(NativeSlotsSource.HostLibraryName);
            int runPath = strings.Add("$ORIGIN");

            // The dynamic symbols: 0 null, 1..n the runtime's functions (undefined, renamed),
            // n+1..2n the exports, then the boot's data.
            var symbols = new List<Symbol> { new Symbol(0, 0, 0, 0, 0) };
            for (int index = 0; index < count; index++)
            {
                symbols.Add(new Symbol(strings.Add(HostPrefix + exports[index].Substring(NativeLayerDecision.Prefix.Length)), Symbol.Function, 0, 0, 0));
            }

            // Layout of the read-only segment: header, program headers, then the tables.
            const int programHeaderCount = 5;
            long offset = HeaderSize + ProgramHeaderSize * programHeaderCount;
            int symbolCount = 1 + 2 * count + 5;
            int bucketCount = Math.Max(1, symbolCount / 2 | 1);
            long hashOffset = Align(offset, 8);
            long hashSize = 4L * (2 + bucketCount + symbolCount);
            long symbolsOffset = Align(hashOffset + hashSize, 8);
            long symbolsSize = (long)SymbolSize * symbolCount;

            // The names the symbols carry go in the string table before its size is known.
            var exportNames = new int[count];
            for (int index = 0; index < count; index++)
            {
                exportNames[index] = strings.Add(exports[index]);
            }

            int tableName = strings.Add(TableSymbol);
            int namesName = strings.Add(NamesSymbol);
            int helpersName = strings.Add(HelpersSymbol);
            int countName = strings.Add(CountSymbol);
            int refusalsName = strings.Add(RefusalsSymbol);
            byte[] stringBytes = strings.ToArray();
            long stringsOffset = symbolsOffset + symbolsSize;
            long relocationsOffset = Align(stringsOffset + stringBytes.Length, 8);
            long relocationsSize = (long)RelocationSize * 2 * count;

            // .rodata: the names (NUL-separated, slot order), the helper flags, the count and the
            // refusal message's two fixed parts.
            long namesOffset = relocationsOffset + relocationsSize;
            var nameOffsets = new long[count];
            var names = new MemoryStream();
            for (int index = 0; index < count; index++)
            {
                nameOffsets[index] = namesOffset + names.Length;
                byte[] name = Encoding.ASCII.GetBytes(exports[index]);
                names.Write(name, 0, name.Length);
                names.WriteByte(0);
            }

            long helpersOffset = namesOffset + names.Length;
            long countOffset = Align(helpersOffset + count, 4);
            long prefixOffset = countOffset + 4;
            byte[] prefix = Encoding.ASCII.GetBytes(RefusalPrefix);
            long suffixOffset = prefixOffset + prefix.Length;
            byte[] suffix = Encoding.ASCII.GetBytes(RefusalSuffix);
            long readOnlyEnd = suffixOffset + suffix.Length;

            // .text, on its own page: the jumps, the refusal stubs, the refusal.
            long textOffset = Align(readOnlyEnd, PageSize);
            long stubsOffset = textOffset;
            long refusalsOffset = stubsOffset + (long)StubSize * count;
            long refuseOffset = refusalsOffset + (long)RefusalSize * count;
            byte[] refuse = RefuseCode(refuseOffset, prefixOffset, prefix.Length, suffixOffset, suffix.Length);
            long textEnd = refuseOffset + refuse.Length;

            // .dynamic and .data (the slots, then the refusal stubs' addresses), on their own page.
            var dynamicEntries = new List<KeyValuePair<long, long>>();
            long dataSegmentOffset = Align(textEnd, PageSize);
            long dynamicOffset = dataSegmentOffset;
            const int dynamicCount = 15;
            long dynamicSize = 16L * dynamicCount;
            long slotsOffset = Align(dynamicOffset + dynamicSize, 16);
            long refusalTableOffset = slotsOffset + 8L * count;
            long dataEnd = refusalTableOffset + 8L * count;

            for (int index = 0; index < count; index++)
            {
                symbols.Add(new Symbol(exportNames[index], Symbol.Function, 6, stubsOffset + (long)StubSize * index, 6));
            }

            symbols.Add(new Symbol(tableName, Symbol.Object, 8, slotsOffset, 8L * count));
            symbols.Add(new Symbol(namesName, Symbol.Object, 5, namesOffset, names.Length));
            symbols.Add(new Symbol(helpersName, Symbol.Object, 5, helpersOffset, count));
            symbols.Add(new Symbol(countName, Symbol.Object, 5, countOffset, 4));
            symbols.Add(new Symbol(refusalsName, Symbol.Object, 8, refusalTableOffset, 8L * count));

            dynamicEntries.Add(Entry(1, neededName));           // DT_NEEDED
            dynamicEntries.Add(Entry(29, runPath));             // DT_RUNPATH
            dynamicEntries.Add(Entry(4, hashOffset));           // DT_HASH
            dynamicEntries.Add(Entry(5, stringsOffset));        // DT_STRTAB
            dynamicEntries.Add(Entry(6, symbolsOffset));        // DT_SYMTAB
            dynamicEntries.Add(Entry(10, stringBytes.Length));  // DT_STRSZ
            dynamicEntries.Add(Entry(11, SymbolSize));          // DT_SYMENT
            dynamicEntries.Add(Entry(7, relocationsOffset));    // DT_RELA
            dynamicEntries.Add(Entry(8, relocationsSize));      // DT_RELASZ
            dynamicEntries.Add(Entry(9, RelocationSize));       // DT_RELAENT
            dynamicEntries.Add(Entry(0x6ffffff9, count));       // DT_RELACOUNT (the relative ones come first)
            dynamicEntries.Add(Entry(30, 8));                   // DT_FLAGS: DF_BIND_NOW
            dynamicEntries.Add(Entry(0x6ffffffb, 1));           // DT_FLAGS_1: DF_1_NOW
            dynamicEntries.Add(Entry(0, 0));                    // DT_NULL
            dynamicEntries.Add(Entry(0, 0));
            if (dynamicEntries.Count != dynamicCount)
            {
                throw new InvalidOperationException("dynamic section size");
            }

            // The section names and headers go after everything that is loaded.
            var sectionNames = new StringTable();
            string[] sectionNameList = { ".hash", ".dynsym", ".dynstr", ".rela.dyn", ".rodata", ".text", ".dynamic", ".data", ".shstrtab" };
            var sectionNameOffsets = new int[sectionNameList.Length];
            for (int index = 0; index < sectionNameList.Length; index++)
            {
                sectionNameOffsets[index] = sectionNames.Add(sectionNameList[index]);
            }

            byte[] sectionNameBytes = sectionNames.ToArray();
            long sectionNamesOffset = dataEnd;
            long sectionHeadersOffset = Align(sectionNamesOffset + sectionNameBytes.Length, 8);
            const int sectionCount = 10;
            long fileSize = sectionHeadersOffset + (long)SectionHeaderSize * sectionCount;

            var image = new byte[fileSize];

            // The ELF header.
            image[0] = 0x7F;
            image[1] = (byte)'E';
            image[2] = (byte)'L';
            image[3] = (byte)'F';
            image[4] = 2;  // ELFCLASS64
            image[5] = 1;  // ELFDATA2LSB
            image[6] = 1;  // EV_CURRENT
            Put16(image, 16, 3);  // ET_DYN
            Put16(image, 18, 62); // EM_X86_64
            Put32(image, 20, 1);
            Put64(image, 32, HeaderSize);
            Put64(image, 40, sectionHeadersOffset);
            Put16(image, 52, HeaderSize);
            Put16(image, 54, ProgramHeaderSize);
            Put16(image, 56, programHeaderCount);
            Put16(image, 58, SectionHeaderSize);
            Put16(image, 60, sectionCount);
            Put16(image, 62, sectionCount - 1);

            // The program headers: three loads (read, read+execute, read+write), the dynamic
            // section, and a stack that is not executable (without PT_GNU_STACK the loader would
            // make the process's stacks executable, or refuse).
            long header = HeaderSize;
            header = Segment(image, header, 1, 4, 0, readOnlyEnd, PageSize);
            header = Segment(image, header, 1, 5, textOffset, textEnd - textOffset, PageSize);
            header = Segment(image, header, 1, 6, dataSegmentOffset, dataEnd - dataSegmentOffset, PageSize);
            header = Segment(image, header, 2, 6, dynamicOffset, dynamicSize, 8);
            Segment(image, header, 0x6474e551, 6, 0, 0, 16);

            // .hash (SysV): the loader's lookup of each name.
            Put32(image, hashOffset, (uint)bucketCount);
            Put32(image, hashOffset + 4, (uint)symbolCount);
            var buckets = new uint[bucketCount];
            var chains = new uint[symbolCount];
            for (int index = 1; index < symbolCount; index++)
            {
                string name = strings.NameAt(symbols[index].Name);
                uint bucket = ElfHash(name) % (uint)bucketCount;
                chains[index] = buckets[bucket];
                buckets[bucket] = (uint)index;
            }

            for (int index = 0; index < bucketCount; index++)
            {
                Put32(image, hashOffset + 8 + 4L * index, buckets[index]);
            }

            for (int index = 0; index < symbolCount; index++)
            {
                Put32(image, hashOffset + 8 + 4L * bucketCount + 4L * index, chains[index]);
            }

            // .dynsym
            for (int index = 0; index < symbolCount; index++)
            {
                Symbol symbol = symbols[index];
                long at = symbolsOffset + (long)SymbolSize * index;
                Put32(image, at, (uint)symbol.Name);
                image[at + 4] = index == 0 ? (byte)0 : (byte)(1 << 4 | symbol.Type); // STB_GLOBAL
                image[at + 5] = 0; // STV_DEFAULT
                Put16(image, at + 6, symbol.Section);
                Put64(image, at + 8, symbol.Value);
                Put64(image, at + 16, symbol.Size);
            }

            // .dynstr
            Array.Copy(stringBytes, 0, image, stringsOffset, stringBytes.Length);

            // .rela.dyn: the refusal table's addresses (relative), then each slot's runtime
            // function (absolute, against its renamed symbol).
            long relocation = relocationsOffset;
            for (int index = 0; index < count; index++)
            {
                Put64(image, relocation, refusalTableOffset + 8L * index);
                Put64(image, relocation + 8, TypeRelative);
                Put64(image, relocation + 16, refusalsOffset + (long)RefusalSize * index);
                relocation += RelocationSize;
            }

            for (int index = 0; index < count; index++)
            {
                Put64(image, relocation, slotsOffset + 8L * index);
                Put64(image, relocation + 8, (ulong)(1 + index) << 32 | TypeAbsolute64);
                Put64(image, relocation + 16, 0);
                relocation += RelocationSize;
            }

            // .rodata
            names.Position = 0;
            names.Read(image, (int)namesOffset, (int)names.Length);
            var helperSet = new HashSet<string>(helpers, StringComparer.Ordinal);
            for (int index = 0; index < count; index++)
            {
                image[helpersOffset + index] = helperSet.Contains(exports[index]) ? (byte)1 : (byte)0;
            }

            Put32(image, countOffset, (uint)count);
            Array.Copy(prefix, 0, image, prefixOffset, prefix.Length);
            Array.Copy(suffix, 0, image, suffixOffset, suffix.Length);

            // .text: int3 between the pieces.
            for (long at = textOffset; at < textEnd; at++)
            {
                image[at] = 0xCC;
            }

            for (int index = 0; index < count; index++)
            {
                // jmp *slot(%rip)
                long stub = stubsOffset + (long)StubSize * index;
                image[stub] = 0xFF;
                image[stub + 1] = 0x25;
                Put32(image, stub + 2, Relative(slotsOffset + 8L * index, stub + 6));

                // lea name(%rip), %rsi; mov $length, %edx; jmp refuse
                long refusal = refusalsOffset + (long)RefusalSize * index;
                image[refusal] = 0x48;
                image[refusal + 1] = 0x8D;
                image[refusal + 2] = 0x35;
                Put32(image, refusal + 3, Relative(nameOffsets[index], refusal + 7));
                image[refusal + 7] = 0xBA;
                Put32(image, refusal + 8, (uint)exports[index].Length);
                image[refusal + 12] = 0xE9;
                Put32(image, refusal + 13, Relative(refuseOffset, refusal + 17));
            }

            Array.Copy(refuse, 0, image, refuseOffset, refuse.Length);

            // .dynamic
            for (int index = 0; index < dynamicEntries.Count; index++)
            {
                Put64(image, dynamicOffset + 16L * index, (ulong)dynamicEntries[index].Key);
                Put64(image, dynamicOffset + 16L * index + 8, (ulong)dynamicEntries[index].Value);
            }

            // .shstrtab and the section headers (for readelf, nm and objdump: the loader reads
            // only the program headers and the dynamic section).
            Array.Copy(sectionNameBytes, 0, image, sectionNamesOffset, sectionNameBytes.Length);
            long section = sectionHeadersOffset + SectionHeaderSize;
            section = Section(image, section, sectionNameOffsets[0], 5, 2, hashOffset, hashSize, 2, 0, 8, 4);
            section = Section(image, section, sectionNameOffsets[1], 11, 2, symbolsOffset, symbolsSize, 3, 1, 8, SymbolSize);
            section = Section(image, section, sectionNameOffsets[2], 3, 2, stringsOffset, stringBytes.Length, 0, 0, 1, 0);
            section = Section(image, section, sectionNameOffsets[3], 4, 2, relocationsOffset, relocationsSize, 2, 0, 8, RelocationSize);
            section = Section(image, section, sectionNameOffsets[4], 1, 2, namesOffset, readOnlyEnd - namesOffset, 0, 0, 8, 0);
            section = Section(image, section, sectionNameOffsets[5], 1, 6, textOffset, textEnd - textOffset, 0, 0, 16, 0);
            section = Section(image, section, sectionNameOffsets[6], 6, 3, dynamicOffset, dynamicSize, 3, 0, 8, 16);
            section = Section(image, section, sectionNameOffsets[7], 1, 3, slotsOffset, dataEnd - slotsOffset, 0, 0, 16, 0);
            Section(image, section, sectionNameOffsets[8], 3, 0, sectionNamesOffset, sectionNameBytes.Length, 0, 0, 1, 0);
            Put64(image, sectionHeadersOffset + SectionHeaderSize * 9L + 16, 0); // .shstrtab is not loaded
            return image;
        }

        // The refusal: write(2, prefix), write(2, name in rsi/rdx), write(2, suffix), exit_group(134).
        private static byte[] RefuseCode(long at, long prefix, int prefixLength, long suffix, int suffixLength)
        {
            var code = new List<byte>();
            void Bytes(params byte[] bytes) => code.AddRange(bytes);
            void Imm32(uint value) => code.AddRange(new[] { (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24) });
            void Write(long text, int length)
            {
                Bytes(0xBF, 2, 0, 0, 0);                    // mov $2, %edi
                Bytes(0x48, 0x8D, 0x35);                    // lea text(%rip), %rsi
                Imm32(Relative(text, at + code.Count + 4));
                Bytes(0xBA);                                // mov $length, %edx
                Imm32((uint)length);
                Bytes(0xB8, 1, 0, 0, 0);                    // mov $SYS_write, %eax
                Bytes(0x0F, 0x05);                          // syscall
            }

            Bytes(0x49, 0x89, 0xF4);                        // mov %rsi, %r12
            Bytes(0x49, 0x89, 0xD5);                        // mov %rdx, %r13
            Write(prefix, prefixLength);
            Bytes(0xBF, 2, 0, 0, 0);                        // mov $2, %edi
            Bytes(0x4C, 0x89, 0xE6);                        // mov %r12, %rsi
            Bytes(0x4C, 0x89, 0xEA);                        // mov %r13, %rdx
            Bytes(0xB8, 1, 0, 0, 0);                        // mov $SYS_write, %eax
            Bytes(0x0F, 0x05);                              // syscall
            Write(suffix, suffixLength);
            Bytes(0xBF, 134, 0, 0, 0);                      // mov $134, %edi
            Bytes(0xB8, 231, 0, 0, 0);                      // mov $SYS_exit_group, %eax
            Bytes(0x0F, 0x05);                              // syscall
            Bytes(0x0F, 0x0B);                              // ud2
            return code.ToArray();
        }

        // A copy of the runtime's libSystem.Native.so whose SystemNative_ exports are named
        // UnikraftHost_ instead, its GNU hash table rebuilt for the new names (one bucket, a bloom
        // filter that passes everything: a lookup walks the library's ~300 exports, once per slot
        // at load). Everything else, code and data, stays byte for byte.
        public static byte[] RenameHostExports(byte[] library)
        {
            var image = (byte[])library.Clone();
            var elf = new ElfImage(image);
            long strings = elf.Dynamic(5);
            long symbols = elf.Dynamic(6);
            long gnuHash = elf.Dynamic(0x6ffffef5);
            if (strings < 0 || symbols < 0)
            {
                throw new InvalidDataException("the library has no dynamic symbol or string table");
            }

            if (gnuHash < 0 || elf.Dynamic(4) >= 0)
            {
                throw new InvalidDataException("the library's symbol hash is not a GNU hash table alone (DT_GNU_HASH without DT_HASH), which is the only kind this build renames in");
            }

            long stringsAt = elf.Offset(strings);
            long symbolsAt = elf.Offset(symbols);
            int symbolCount = elf.DynamicSymbolCount();

            // Every string-table offset something refers to: a rename must not change another name
            // that shares its bytes (a linker may store a name as the tail of a longer one).
            var referenced = new List<long>();
            for (int index = 1; index < symbolCount; index++)
            {
                referenced.Add(ElfImage.UInt32(image, symbolsAt + (long)SymbolSize * index));
            }

            referenced.AddRange(elf.DynamicStringReferences());

            var renamed = new HashSet<long>();
            byte[] prefix = Encoding.ASCII.GetBytes(NativeLayerDecision.Prefix);
            byte[] replacement = Encoding.ASCII.GetBytes(HostPrefix);
            for (int index = 1; index < symbolCount; index++)
            {
                long name = ElfImage.UInt32(image, symbolsAt + (long)SymbolSize * index);
                if (!StartsWith(image, stringsAt + name, prefix) || !renamed.Add(name))
                {
                    continue;
                }

                foreach (long other in referenced)
                {
                    if (other > name && other < name + prefix.Length)
                    {
                        throw new InvalidDataException("a name in the library's string table shares the bytes of " + ElfImage.CString(image, stringsAt + name) + "'s prefix; it cannot be renamed in place");
                    }
                }

                Array.Copy(replacement, 0, image, stringsAt + name, replacement.Length);
            }

            if (renamed.Count == 0)
            {
                throw new InvalidDataException("the library exports no " + NativeLayerDecision.Prefix + " function");
            }

            // The GNU hash table, rebuilt where it was: nbuckets 1, the same symoffset, one bloom
            // word of all ones, bucket 0 the first hashed symbol, then each symbol's hash with the
            // last one marked. It needs 28 + 4 per hashed symbol bytes, never more than the old.
            long hash = elf.Offset(gnuHash);
            uint oldBuckets = ElfImage.UInt32(image, hash);
            uint symbolOffset = ElfImage.UInt32(image, hash + 4);
            uint oldBloom = ElfImage.UInt32(image, hash + 8);
            long oldSize = 16 + 8L * oldBloom + 4L * oldBuckets + 4L * Math.Max(0, symbolCount - (int)symbolOffset);
            long newSize = 16 + 8 + 4 + 4L * Math.Max(0, symbolCount - (int)symbolOffset);
            if (newSize > oldSize || symbolOffset > symbolCount)
            {
                throw new InvalidDataException("the library's GNU hash table is not one this build can rebuild in place");
            }

            Array.Clear(image, (int)hash, (int)oldSize);
            Put32(image, hash, 1);
            Put32(image, hash + 4, symbolOffset);
            Put32(image, hash + 8, 1);
            Put32(image, hash + 12, 6);
            Put64(image, hash + 16, ulong.MaxValue);
            Put32(image, hash + 24, symbolCount > symbolOffset ? symbolOffset : 0);
            for (int index = (int)symbolOffset; index < symbolCount; index++)
            {
                string name = ElfImage.CString(image, stringsAt + ElfImage.UInt32(image, symbolsAt + (long)SymbolSize * index));
                uint value = GnuHash(name) & ~1u;
                if (index == symbolCount - 1)
                {
                    value |= 1;
                }

                Put32(image, hash + 28 + 4L * (index - symbolOffset), value);
            }

            return image;
        }

        // The address (st_value) of a defined dynamic symbol, looked up as glibc's loader does:
        // through DT_GNU_HASH when the library has it, else DT_HASH; -1 when it is not there.
        public static long LookUp(byte[] library, string name)
        {
            var elf = new ElfImage(library);
            long stringsAt = elf.Offset(elf.Dynamic(5));
            long symbolsAt = elf.Offset(elf.Dynamic(6));
            long gnuHash = elf.Dynamic(0x6ffffef5);
            if (gnuHash >= 0)
            {
                long hash = elf.Offset(gnuHash);
                uint buckets = ElfImage.UInt32(library, hash);
                uint symbolOffset = ElfImage.UInt32(library, hash + 4);
                uint bloomSize = ElfImage.UInt32(library, hash + 8);
                int bloomShift = (int)ElfImage.UInt32(library, hash + 12);
                uint value = GnuHash(name);
                ulong word = ElfImage.UInt64(library, hash + 16 + 8L * (value / 64 % bloomSize));
                if ((word >> (int)(value % 64) & word >> (int)((value >> bloomShift) % 64) & 1) == 0)
                {
                    return -1;
                }

                long bucketsAt = hash + 16 + 8L * bloomSize;
                long chainsAt = bucketsAt + 4L * buckets;
                uint index = ElfImage.UInt32(library, bucketsAt + 4L * (value % buckets));
                if (index == 0)
                {
                    return -1;
                }

                for (; ; index++)
                {
                    uint chain = ElfImage.UInt32(library, chainsAt + 4L * (index - symbolOffset));
                    long symbol = symbolsAt + (long)SymbolSize * index;
                    if ((chain | 1) == (value | 1) && ElfImage.UInt16(library, symbol + 6) != 0
                        && ElfImage.CString(library, stringsAt + ElfImage.UInt32(library, symbol)) == name)
                    {
                        return (long)ElfImage.UInt64(library, symbol + 8);
                    }

                    if ((chain & 1) != 0)
                    {
                        return -1;
                    }
                }
            }

            long sysv = elf.Offset(elf.Dynamic(4));
            uint bucketCount = ElfImage.UInt32(library, sysv);
            for (uint index = ElfImage.UInt32(library, sysv + 8 + 4L * (ElfHash(name) % bucketCount)); index != 0;
                 index = ElfImage.UInt32(library, sysv + 8 + 4L * bucketCount + 4L * index))
            {
                long symbol = symbolsAt + (long)SymbolSize * index;
                if (ElfImage.UInt16(library, symbol + 6) != 0 && ElfImage.CString(library, stringsAt + ElfImage.UInt32(library, symbol)) == name)
                {
                    return (long)ElfImage.UInt64(library, symbol + 8);
                }
            }

            return -1;
        }

        // The System V ABI's symbol hash (DT_HASH).
        public static uint ElfHash(string name)
        {
            uint hash = 0;
            foreach (byte character in Encoding.UTF8.GetBytes(name))
            {
                hash = (hash << 4) + character;
                uint high = hash & 0xF0000000;
                if (high != 0)
                {
                    hash ^= high >> 24;
                }

                hash &= ~high;
            }

            return hash;
        }

        // The GNU hash (DT_GNU_HASH): Bernstein's, h * 33 + c from 5381.
        public static uint GnuHash(string name)
        {
            uint hash = 5381;
            foreach (byte character in Encoding.UTF8.GetBytes(name))
            {
                hash = hash * 33 + character;
            }

            return hash;
        }

        private static bool StartsWith(byte[] image, long at, byte[] prefix)
        {
            if (at + prefix.Length > image.Length)
            {
                return false;
            }

            for (int index = 0; index < prefix.Length; index++)
            {
                if (image[at + index] != prefix[index])
                {
                    return false;
                }
            }

            return true;
        }

        private static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

        private static uint Relative(long target, long next) => (uint)(int)(target - next);

        private static KeyValuePair<long, long> Entry(long tag, long value) => new KeyValuePair<long, long>(tag, value);

        private static long Segment(byte[] image, long at, uint type, uint flags, long offset, long size, long alignment)
        {
            Put32(image, at, type);
            Put32(image, at + 4, flags);
            Put64(image, at + 8, offset);
            Put64(image, at + 16, offset);
            Put64(image, at + 24, offset);
            Put64(image, at + 32, size);
            Put64(image, at + 40, size);
            Put64(image, at + 48, alignment);
            return at + ProgramHeaderSize;
        }

        private static long Section(byte[] image, long at, int name, uint type, ulong flags, long offset, long size, uint link, uint info, long alignment, long entrySize)
        {
            Put32(image, at, (uint)name);
            Put32(image, at + 4, type);
            Put64(image, at + 8, flags);
            Put64(image, at + 16, offset);
            Put64(image, at + 24, offset);
            Put64(image, at + 32, size);
            Put32(image, at + 40, link);
            Put32(image, at + 44, info);
            Put64(image, at + 48, alignment);
            Put64(image, at + 56, entrySize);
            return at + SectionHeaderSize;
        }

        private static void Put16(byte[] image, long at, int value)
        {
            image[at] = (byte)value;
            image[at + 1] = (byte)(value >> 8);
        }

        private static void Put32(byte[] image, long at, uint value)
        {
            for (int index = 0; index < 4; index++)
            {
                image[at + index] = (byte)(value >> 8 * index);
            }
        }

        private static void Put64(byte[] image, long at, ulong value)
        {
            for (int index = 0; index < 8; index++)
            {
                image[at + index] = (byte)(value >> 8 * index);
            }
        }

        private static void Put64(byte[] image, long at, long value) => Put64(image, at, (ulong)value);

        private sealed class Symbol
        {
            public const int Object = 1;
            public const int Function = 2;

            public Symbol(int name, int type, int section, long value, long size)
            {
                Name = name;
                Type = type;
                Section = section;
                Value = value;
                Size = size;
            }

            public int Name { get; }

            public int Type { get; }

            public int Section { get; }

            public long Value { get; }

            public long Size { get; }
        }

        private sealed class StringTable
        {
            private readonly MemoryStream bytes = new MemoryStream();
            private readonly Dictionary<string, int> offsets = new Dictionary<string, int>(StringComparer.Ordinal);
            private readonly Dictionary<int, string> names = new Dictionary<int, string>();

            public StringTable()
            {
                bytes.WriteByte(0);
                names[0] = "";
            }

            public int Add(string name)
            {
                if (offsets.TryGetValue(name, out int existing))
                {
                    return existing;
                }

                int offset = (int)bytes.Length;
                byte[] text = Encoding.ASCII.GetBytes(name);
                bytes.Write(text, 0, text.Length);
                bytes.WriteByte(0);
                offsets[name] = offset;
                names[offset] = name;
                return offset;
            }

            public string NameAt(int offset) => names[offset];

            public byte[] ToArray() => bytes.ToArray();
        }

        // An ELF64 little-endian shared library read through its program headers and dynamic
        // section, as the loader reads it.
        private sealed class ElfImage
        {
            private readonly byte[] image;
            private readonly List<long[]> loads = new List<long[]>();
            private readonly List<KeyValuePair<long, long>> dynamic = new List<KeyValuePair<long, long>>();

            public ElfImage(byte[] image)
            {
                this.image = image;
                if (image.Length < HeaderSize || image[0] != 0x7F || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                {
                    throw new InvalidDataException("not an ELF file");
                }

                if (image[4] != 2 || image[5] != 1 || UInt16(image, 18) != 62)
                {
                    throw new InvalidDataException("not a 64-bit little-endian x86-64 ELF file");
                }

                long headers = (long)UInt64(image, 32);
                int headerSize = UInt16(image, 54);
                int headerCount = UInt16(image, 56);
                long dynamicAt = -1;
                long dynamicSize = 0;
                for (int index = 0; index < headerCount; index++)
                {
                    long at = headers + (long)headerSize * index;
                    uint type = UInt32(image, at);
                    if (type == 1)
                    {
                        loads.Add(new[] { (long)UInt64(image, at + 16), (long)UInt64(image, at + 8), (long)UInt64(image, at + 32) });
                    }
                    else if (type == 2)
                    {
                        dynamicAt = (long)UInt64(image, at + 8);
                        dynamicSize = (long)UInt64(image, at + 32);
                    }
                }

                if (dynamicAt < 0)
                {
                    throw new InvalidDataException("not a shared library: no dynamic section");
                }

                for (long at = dynamicAt; at + 16 <= dynamicAt + dynamicSize; at += 16)
                {
                    long tag = (long)UInt64(image, at);
                    if (tag == 0)
                    {
                        break;
                    }

                    dynamic.Add(new KeyValuePair<long, long>(tag, (long)UInt64(image, at + 8)));
                }
            }

            // The value of the first dynamic entry with the tag, or -1.
            public long Dynamic(long tag)
            {
                foreach (KeyValuePair<long, long> entry in dynamic)
                {
                    if (entry.Key == tag)
                    {
                        return entry.Value;
                    }
                }

                return -1;
            }

            // The string-table offsets the dynamic section and the version needs name.
            public IEnumerable<long> DynamicStringReferences()
            {
                foreach (KeyValuePair<long, long> entry in dynamic)
                {
                    // DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH
                    if (entry.Key == 1 || entry.Key == 14 || entry.Key == 15 || entry.Key == 29)
                    {
                        yield return entry.Value;
                    }
                }

                long needs = Dynamic(0x6ffffffe);
                long needCount = Dynamic(0x6fffffff);
                if (needs >= 0 && needCount > 0)
                {
                    long need = Offset(needs);
                    for (long index = 0; index < needCount; index++)
                    {
                        yield return UInt32(image, need + 4);
                        long auxiliary = need + UInt32(image, need + 8);
                        for (int entry = 0; entry < UInt16(image, need + 2); entry++)
                        {
                            yield return UInt32(image, auxiliary + 8);
                            auxiliary += UInt32(image, auxiliary + 12);
                        }

                        need += UInt32(image, need + 12);
                    }
                }
            }

            // The number of dynamic symbols: from the section headers when there are any, else
            // the GNU hash table's chains (the highest symbol a bucket reaches, then its chain).
            public int DynamicSymbolCount()
            {
                long sections = (long)UInt64(image, 40);
                int sectionSize = UInt16(image, 58);
                int sectionCount = UInt16(image, 60);
                for (int index = 0; sections != 0 && index < sectionCount; index++)
                {
                    long at = sections + (long)sectionSize * index;
                    if (UInt32(image, at + 4) == 11)
                    {
                        return (int)((long)UInt64(image, at + 32) / SymbolSize);
                    }
                }

                throw new InvalidDataException("the library has no section headers to count its dynamic symbols by");
            }

            // The file offset of a virtual address.
            public long Offset(long address)
            {
                foreach (long[] load in loads)
                {
                    if (address >= load[0] && address < load[0] + load[2])
                    {
                        return address - load[0] + load[1];
                    }
                }

                throw new InvalidDataException("address 0x" + address.ToString("x") + " is in no loaded segment");
            }

            public static ushort UInt16(byte[] bytes, long offset) => (ushort)(bytes[offset] | bytes[offset + 1] << 8);

            public static uint UInt32(byte[] bytes, long offset) => (uint)(UInt16(bytes, offset) | UInt16(bytes, offset + 2) << 16);

            public static ulong UInt64(byte[] bytes, long offset) => UInt32(bytes, offset) | (ulong)UInt32(bytes, offset + 4) << 32;

            public static string CString(byte[] bytes, long offset)
            {
                long end = offset;
                while (end < bytes.Length && bytes[end] != 0)
                {
                    end++;
                }

                return Encoding.ASCII.GetString(bytes, (int)offset, (int)(end - offset));
            }
        }
    }
}
