using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace Unikraft.Gen.Helpers
{
    // An immutable array that compares by its elements, so pipeline models that hold one stay
    // equatable and the incremental generator can cache them.
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
        where T : IEquatable<T>
    {
        private readonly T[]? _items;

        public EquatableArray(IEnumerable<T> items)
        {
            _items = items is null ? null : new List<T>(items).ToArray();
        }

        public static EquatableArray<T> Empty => new EquatableArray<T>(Array.Empty<T>());

        public int Count => _items?.Length ?? 0;

        public T this[int index] => _items![index];

        public bool Equals(EquatableArray<T> other)
        {
            T[] mine = _items ?? Array.Empty<T>();
            T[] theirs = other._items ?? Array.Empty<T>();
            if (ReferenceEquals(mine, theirs))
            {
                return true;
            }

            if (mine.Length != theirs.Length)
            {
                return false;
            }

            for (int index = 0; index < mine.Length; index++)
            {
                if (!EqualityComparer<T>.Default.Equals(mine[index], theirs[index]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T item in _items ?? Array.Empty<T>())
            {
                hash = unchecked((hash * 31) + (item?.GetHashCode() ?? 0));
            }

            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    internal static class EquatableArray
    {
        public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items)
            where T : IEquatable<T> => new EquatableArray<T>(items);

        public static EquatableArray<T> ToEquatableArray<T>(this ImmutableArray<T> items)
            where T : IEquatable<T> => new EquatableArray<T>(items);
    }
}
