/// Input-shape checks at module boundaries, so a wrong tensor fails with the module's name and the expected
/// layout ("Conv2d: expected input [N, 64, H, W], got [1, 3, 8, 8]") rather than deep inside libtorch.
extension Module {
    /// One entry of a shape pattern: a named free size ("N"), a required size, or any number of sizes ("...").
    public enum Dim: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    {
        case named(String)
        case size(Int)
        case rest

        public init(stringLiteral name: String) { self = .named(name) }
        public init(integerLiteral size: Int) { self = .size(size) }

        public var description: String {
            switch self {
            case .named(let name): name
            case .size(let size): String(size)
            case .rest: "..."
            }
        }
    }

    /// Throws unless `x` matches one of `patterns` (each with at most one `.rest`).
    public func expectInput(_ x: Tensor, _ patterns: [Dim]..., name: String = "input") throws {
        try expectInput(x, oneOf: patterns, name: name)
    }

    public func expectInput(_ x: Tensor, oneOf patterns: [[Dim]], name: String = "input") throws {
        let shape = x.shape
        guard !patterns.contains(where: { Module.matches(shape, $0) }) else { return }
        let expected = patterns.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" }
        throw TorchError("\(typeName): expected \(name) \(expected.joined(separator: " or ")), got \(shape)")
    }

    private static func matches(_ shape: [Int], _ pattern: [Dim]) -> Bool {
        guard let rest = pattern.firstIndex(of: .rest) else { return fits(shape[...], pattern[...]) }
        let head = pattern[..<rest]
        let tail = pattern[(rest + 1)...]
        guard shape.count >= head.count + tail.count else { return false }
        return fits(shape.prefix(head.count), head) && fits(shape.suffix(tail.count), tail)
    }

    private static func fits(_ sizes: ArraySlice<Int>, _ dims: ArraySlice<Dim>) -> Bool {
        sizes.count == dims.count && zip(sizes, dims).allSatisfy { size, dim in
            if case .size(let required) = dim { return size == required }
            return true
        }
    }
}
