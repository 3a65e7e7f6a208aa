namespace Unikraft.Kernel;

// Chooses which ready item the scheduler runs next. The hosted platform supplies none (FIFO);
// the sim platform supplies a seeded one, so the interleaving of ready work is part of what a
// seed decides and replays.
internal interface IRunQueueOrder
{
    // Returns an index in [0, readyCount): 0 is the oldest ready item. Called only when more
    // than one item is ready.
    int ChooseNext(int readyCount);
}
