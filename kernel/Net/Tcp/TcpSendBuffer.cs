namespace Unikraft.Kernel;

using System;

// The bytes a connection has taken from its user and the peer has not acknowledged yet: a ring
// whose first byte is SND.UNA's (RFC 9293, 3.3.1). Sent and unsent bytes sit together, so a
// retransmission reads the same bytes again. Bounded: Write takes only what fits, which is how
// a peer that stops reading stops the sender's user. The ring is allocated on first write, so a
// half-open connection costs no buffer.
internal sealed class TcpSendBuffer
{
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

    public int Write(ReadOnlySpan<byte> data)
    {
        int length = Math.Min(data.Length, Capacity - count);
        if (length <= 0)
        {
            return 0;
        }
        byte[] bytes = ring ??= new byte[Capacity];
        int tail = (head + count) % Capacity;
        int first = Math.Min(length, Capacity - tail);
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
        int start = (head + offset) % Capacity;
        int first = Math.Min(destination.Length, Capacity - start);
        ring.AsSpan(start, first).CopyTo(destination);
        ring.AsSpan(0, destination.Length - first).CopyTo(destination.Slice(first));
    }

    // The peer acknowledged length bytes.
    public void Consume(int length)
    {
        length = Math.Clamp(length, 0, count);
        count -= length;
        head = count == 0 ? 0 : (head + length) % Capacity;
    }
}
