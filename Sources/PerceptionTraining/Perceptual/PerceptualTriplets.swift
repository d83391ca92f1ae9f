import Testbed
import Torch

/// The testbed's two-alternative forced-choice (2AFC) triplets, BAPPS's design with the renderer as the judge: a
/// reference render and two distortions of it, each moving one to three `FactorGroup`s of the reference part of
/// the way (10-100 %) towards another face's values; the distortion with the smaller ground-truth factor distance
/// (`FactorScales.distance`) is the closer one. Triplets whose two distances differ by less than `tieMargin` of
/// their mean are skipped as ties. Triplet `k` of a split depends on (seed, split, k) alone.
public struct PerceptualTriplets: Sendable {
    public struct Triplet: Sendable {
        public let reference: TestbedFace
        public let distorted: (TestbedFace, TestbedFace)
        /// Ground-truth distances of the two distortions to the reference.
        public let distances: (Double, Double)
        /// 1 when the second distortion is the closer one (LPIPS's judge h), else 0.
        public var judge: Double { distances.1 < distances.0 ? 1 : 0 }
    }

    public let split: TestbedSplit
    public let seed: UInt64
    public let tieMargin: Double
    /// Faces drawn from the split's first `samples` indices.
    public let samples: Int
    let scales: FactorScales

    public init(split: TestbedSplit, samples: Int, seed: UInt64, tieMargin: Double = 0.1, scales: FactorScales = FactorScales()) {
        self.split = split
        self.samples = samples
        self.seed = seed
        self.tieMargin = tieMargin
        self.scales = scales
    }

    /// The first non-tied triplet at or after candidate `index`: deterministic in (seed, split, index).
    public func triplet(_ index: Int) -> Triplet {
        var candidate = index &* 64
        while true {
            if let triplet = candidateTriplet(candidate) { return triplet }
            candidate += 1
        }
    }

    private func candidateTriplet(_ candidate: Int) -> Triplet? {
        var random = SplitMix(state: StepSchedule.mix(seed: seed ^ UInt64(split.identities.lowerBound), index: candidate))
        let reference = split.sample(at: random.below(samples)).face
        func distortion() -> TestbedFace {
            let other = split.sample(at: random.below(samples)).face
            var face = reference
            let groups = FactorGroup.allCases.shuffled(using: &random).prefix(1 + random.below(3))
            for group in groups { face = face.moved(group, towards: other, amount: 0.1 + 0.9 * random.unit()) }
            return face
        }
        let a = distortion(), b = distortion()
        let distances = (scales.distance(reference, a), scales.distance(reference, b))
        let mean = (distances.0 + distances.1) / 2
        guard mean > 0, abs(distances.0 - distances.1) >= tieMargin * mean else { return nil }
        return Triplet(reference: reference, distorted: (a, b), distances: distances)
    }

    /// Renders of triplets `indices`: reference, first and second distortion [N, 3, S, S] each, and the judge [N].
    public func batch(_ indices: Range<Int>, renderer: TestbedRenderer) throws -> (reference: Tensor, first: Tensor, second: Tensor, judge: Tensor) {
        let triplets = indices.map(triplet)
        let images = try renderer.render(faces: triplets.map(\.reference) + triplets.map(\.distorted.0)
            + triplets.map(\.distorted.1)).images
        let n = triplets.count
        return (try images.slice(0, 0, n), try images.slice(0, n, 2 * n), try images.slice(0, 2 * n, 3 * n),
                try Tensor(triplets.map(\.judge), shape: [n]).to(dtype: .float32))
    }
}

/// SplitMix64 as a Swift random generator, for the triplets' choices.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
