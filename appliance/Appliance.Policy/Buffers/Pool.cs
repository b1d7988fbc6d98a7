using System.Buffers;

namespace Appliance.Policy.Buffers;

/// <summary>
/// <see cref="ArrayPool{T}.Shared"/> for the sizes the relay uses all the time; an array for a
/// larger message or statement is allocated and left to the GC instead. The shared pool keeps
/// what it is given, per thread and per core, until a gen2 collection trims it: four 60 MB
/// statements sent at once left gigabytes of such arrays held for minutes.
/// </summary>
internal static class Pool<T>
{
    public const int MaxPooledLength = 1024 * 1024;

    public static T[] Rent(int minimumLength) =>
        minimumLength <= MaxPooledLength ? ArrayPool<T>.Shared.Rent(minimumLength) : GC.AllocateUninitializedArray<T>(minimumLength);

    public static void Return(T[] array)
    {
        if (array.Length <= MaxPooledLength)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }
}

/// <summary>Writers kept for reuse across calls: one grown past <see cref="Pool{T}.MaxPooledLength"/> by a huge value is not kept.</summary>
internal static class Scratch
{
    /// <summary><paramref name="writer"/>, or null (make a new one next time) when a huge value grew it.</summary>
    public static ArrayBufferWriter<byte>? KeepUnlessGrown(ArrayBufferWriter<byte> writer) =>
        writer.Capacity > Pool<byte>.MaxPooledLength ? null : writer;
}
