/// Walking a range in the fixed-size pieces the store cuts data into: a file's extents, a
/// chunk's checksum blocks.
enum Pieces {
    /// Calls `body` with each piece of `size` units that `range` touches, in order: the piece's
    /// index, where it starts, and the part of `range` inside it.
    static func forEach<T: BinaryInteger>(_ range: Range<T>, size: T,
                                          _ body: (_ index: T, _ start: T, _ part: Range<T>) throws -> Void) rethrows {
        var position = range.lowerBound
        while position < range.upperBound {
            let index = position / size
            let start = index * size
            let partEnd = min(range.upperBound, start + size)
            try body(index, start, position..<partEnd)
            position = partEnd
        }
    }
}
