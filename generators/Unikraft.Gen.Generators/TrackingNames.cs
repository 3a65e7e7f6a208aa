namespace Unikraft.Gen
{
    // The tracking names of the generator's pipeline steps, for the caching tests.
    internal static class TrackingNames
    {
        public const string Scan = nameof(Scan);
        public const string Uses = nameof(Uses);
        public const string Entry = nameof(Entry);
        public const string Config = nameof(Config);
        public const string Libraries = nameof(Libraries);
        public const string ApiTypesNamed = nameof(ApiTypesNamed);
        public const string NetTypes = nameof(NetTypes);
        public const string LibraryNetTypes = nameof(LibraryNetTypes);
        public const string AllNetTypes = nameof(AllNetTypes);
        public const string Plan = nameof(Plan);
        public const string AssemblyName = nameof(AssemblyName);
        public const string Reach = nameof(Reach);
        public const string Runtime = nameof(Runtime);
        public const string PlanWithRuntime = nameof(PlanWithRuntime);
    }
}
