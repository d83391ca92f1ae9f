/// Counter-based randomness: every factor is a hash of (identity, variation, factor), never a position in a
/// random stream, so any subset of samples, in any order and on any thread count, renders the same.
struct SeedHash {
    private var state: UInt64

    /// Identity factors hash with `variation` nil; each factor draws from its own `field`.
    init(identity: Int, variation: Int?, field: UInt64) {
        var h = Self.mix(0x7E57_BED0_0000_0001 ^ UInt64(bitPattern: Int64(identity)))
        h = Self.mix(h ^ (variation.map { UInt64(bitPattern: Int64($0)) &+ 1 } ?? 0))
        state = Self.mix(h ^ field)
    }

    /// SplitMix64's finaliser: a bijection whose output bits each depend on every input bit.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits of this field.
    mutating func next() -> UInt64 {
        state = Self.mix(state)
        return state
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Uniform in `range`.
    mutating func uniform(_ range: ClosedRange<Float>) -> Float {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Float) -> Bool { unit() < p }

    /// One of `count` choices.
    mutating func pick(_ count: Int) -> Int { Int(next() % UInt64(count)) }
}
