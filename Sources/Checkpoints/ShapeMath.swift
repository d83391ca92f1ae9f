/// Bytes a dense array of `shape` and `elementSize` holds, or nil when a dimension is negative or the shape
/// cannot be addressed in `Int`. A zero-sized dimension does not excuse the others: (0, 2^62, 2^62) holds no
/// bytes but no tensor library can lay it out, so it is refused like any other overflow.
func denseByteCount(_ shape: [Int], elementSize: Int) -> Int? {
    var bytes = elementSize
    var capacity = elementSize
    for dim in shape {
        guard dim >= 0 else { return nil }
        let (grown, overflow) = capacity.multipliedReportingOverflow(by: max(dim, 1))
        guard !overflow else { return nil }
        capacity = grown
        bytes *= dim
    }
    return bytes
}
