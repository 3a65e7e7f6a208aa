namespace Unikraft.Kernel;

using System;

// The bytes a connection has taken from its user and the peer has not acknowledged yet: a ring
// whose first byte is SND.UNA's (RFC 9293, 3.3.1). Sent and unsent bytes sit together, so a
// retransmission reads the same bytes again. Bounded: Write takes only what fits, which is how
// a peer that stops reading stops the sender's user. The ring is allocated on first write, so a
// half-open connection costs no buffer, and starts at InitialRing bytes: it doubles, up to the
// capacity, only when the user writes more than it holds, so a connection that sends little
// (a request, a short answer) costs what it did with a 64 KiB buffer, and a bulk sender gets the
// room that lets it hand a device segments of 64 KB while as much is in flight.
internal sealed class TcpSendBuffer
{
    // NOTE: the capacity every buffer had before it could grow (TcpStack.DefaultSendBufferSize).
    public const int InitialRing = 65536;

    private byte[]? ring;
    private int head;
    private int count;

    public TcpSendBuffer(int capacity)
    {
        Capacity = capacity;
    }

    public int Capacity { get; private set; }

    public int Count => count;

    public int Free => Capacity - count;

    // Before any byte is written only (SO_SNDBUF on a fresh socket).
    public void Resize(int capacity)
    {
        if (count == 0)
        {
            Capacity = capacity;
            ring = null;
            head = 0;
        }
    }

    // The bytes the ring holds now (0 before the first write), for tests.
    public int RingLength => ring?.Length ?? 0;

    public int Write(ReadOnlySpan<byte> data)
    {
        int length = Math.Min(data.Length, Capacity - count);
        if (length <= 0)
        {
            return 0;
        }
        byte[] bytes = ring ??= new byte[Math.Min(Capacity, InitialRing)];
        if (count + length > bytes.Length)
        {
            bytes = Grow(count + length);
        }
        int size = bytes.Length;
        int tail = (head + count) % size;
        int first = Math.Min(length, size - tail);
        data.Slice(0, first).CopyTo(bytes.AsSpan(tail));
        data.Slice(first, length - first).CopyTo(bytes);
        count += length;
        return length;
    }

    // Copies destination.Length bytes starting offset bytes after the first unacknowledged one.
    public void CopyTo(int offset, Span<byte> destination)
    {
        if (ring == null || offset < 0 || offset + destination.Length > count)
        {
            return;
        }
        int start = (head + offset) % ring.Length;
        int first = Math.Min(destination.Length, ring.Length - start);
        ring.AsSpan(start, first).CopyTo(destination);
        ring.AsSpan(0, destination.Length - first).CopyTo(destination.Slice(first));
    }

    // The peer acknowledged length bytes.
    public void Consume(int length)
    {
        length = Math.Clamp(length, 0, count);
        count -= length;
        head = count == 0 || ring == null ? 0 : (head + length) % ring.Length;
    }

    // A ring of twice the size (as many times as needed for wanted bytes, at most the capacity),
    // its bytes moved to the start.
    private byte[] Grow(int wanted)
    {
        byte[] old = ring!;
        int size = old.Length;
        while (size < wanted && size < Capacity)
        {
            size = (int)Math.Min((long)size * 2, Capacity);
        }
        byte[] bytes = new byte[size];
        int first = Math.Min(count, old.Length - head);
        old.AsSpan(head, first).CopyTo(bytes);
        old.AsSpan(0, count - first).CopyTo(bytes.AsSpan(first));
        ring = bytes;
        head = 0;
        return bytes;
    }
}
