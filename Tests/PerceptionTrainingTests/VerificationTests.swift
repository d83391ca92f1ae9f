import Foundation
import PerceptionTraining
import Testing
import Torch

/// TAR@FAR on a case worked by hand.
@Suite("Verification rate")
struct VerificationTests {
    /// Five embeddings in the plane: identity 0 at angles 0 and 10 degrees, identity 1 at 90 and 100, identity
    /// 2 at 45. Genuine pairs: (0, 10) cos 10°, (90, 100) cos 10°. Impostors (8): cos of 90, 100, 45, 80, 90,
    /// 35, 45, 55 degrees.
    static func points(_ degrees: [Double]) -> [Float] {
        degrees.flatMap { (d: Double) -> [Float] in
            let radians = d * Double.pi / 180
            return [Float(Foundation.cos(radians)), Float(Foundation.sin(radians))]
        }
    }

    static func plane() throws -> (Tensor, Tensor) {
        let degrees: [Double] = [0, 10, 90, 100, 45]
        let points = Self.points(degrees)
        return (try Tensor(points, shape: [5, 2]) * 3, try Tensor([Int64(0), 0, 1, 1, 2], shape: [5]))
    }

    @Test func handMadeCase() throws {
        let (embeddings, identities) = try Self.plane()
        // FAR 0.2 of 8 impostors allows 1 false accept: threshold = 2nd highest impostor, cos 45° (the highest
        // is cos 35°); both genuine pairs (cos 10°) are above it.
        var result = try Verification.trueAcceptRate(embeddings: embeddings, identities: identities, falseAcceptRate: 0.2)
        #expect(result.genuinePairs == 2 && result.impostorPairs == 8)
        #expect(abs(result.threshold - cos(45 * Double.pi / 180)) < 1e-6)
        #expect(result.rate == 1)

        // Move the second sample of identity 0 to 50°. At FAR
        // 0.1 (0 false accepts) the threshold is the highest impostor score.
        let degrees: [Double] = [0, 50, 90, 100, 45]
        let points = Self.points(degrees)
        let moved = try Tensor(points, shape: [5, 2])
        result = try Verification.trueAcceptRate(embeddings: moved, identities: identities, falseAcceptRate: 0.1)
        // Impostors now: (0,90) 90, (0,100) 100, (0,45) 45, (50,90) 40, (50,100) 50, (50,45) 5, (90,45) 45,
        // (100,45) 55 degrees; the highest is cos 5°, above both genuine pairs (50° and 10°): TAR 0.
        #expect(abs(result.threshold - cos(5 * Double.pi / 180)) < 1e-6)
        #expect(result.rate == 0)
        // FAR 0.25 allows 2: threshold = the third highest, cos 45°; genuine cos 10° passes, cos 50° does not.
        result = try Verification.trueAcceptRate(embeddings: moved, identities: identities, falseAcceptRate: 0.25)
        #expect(abs(result.threshold - cos(45 * Double.pi / 180)) < 1e-6)
        #expect(result.rate == 0.5)
    }

    @Test func badInputIsRefused() throws {
        let (embeddings, identities) = try Self.plane()
        #expect(throws: (any Error).self) {
            _ = try Verification.trueAcceptRate(embeddings: embeddings, identities: identities, falseAcceptRate: 0)
        }
        #expect(throws: (any Error).self) {
            _ = try Verification.trueAcceptRate(embeddings: embeddings, identities: Tensor([Int64(0), 1, 2, 3, 4], shape: [5]),
                                                falseAcceptRate: 0.1)
        }
    }
}
