/// The seeds commands take: libtorch's CPU generator keeps only the low 32 bits of a seed, so seed 2^32 + s
/// would silently repeat seed s; larger seeds are refused instead.
enum Seed {
    static let range = 0...4_294_967_295

    static func check(_ flag: String, _ value: Int) throws {
        try Bounds.check(flag, value, range,
                         value > range.upperBound ? " (libtorch takes 32-bit seeds: it would repeat \(value & range.upperBound))" : "")
    }
}
