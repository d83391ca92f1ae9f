import Foundation
import PerceptionTraining
import Testing
import Torch

/// The ArcFace head against the formula worked by hand: target logit s cos(θ + m), others s cos θ, the
/// reference's fallback s (cos θ - m sin m) where θ + m would pass π.
@Suite("ArcFace head")
struct ArcFaceTests {
    @Test func logitsAndLossMatchAHandComputation() throws {
        let head = try ArcFace(embeddingSize: 2, classes: 3, scale: 64, margin: 0.5)
        // Columns (1, 0), (0, 2) and (-1, 0): normalised to the unit vectors along +x, +y and -x.
        try withNoGrad { try head.kernel.copy_(Tensor([Float(1), 0, -1, 0, 2, 0], shape: [2, 3])) }
        let angle = 0.3
        // Row 0 at 0.3 rad from +x, label 0; row 1 along -x, label 0 (θ = π: the fallback).
        let embeddings = try Tensor([Float(Foundation.cos(angle)), Float(Foundation.sin(angle)), -1, 0], shape: [2, 2])
        let labels = try Tensor([Int64(0), 0], shape: [2])
        let logits = try head.logits(embeddings, labels: labels).to(dtype: .float64).doubles()

        let s = 64.0, m = 0.5
        let row0 = [s * Foundation.cos(angle + m), s * Foundation.sin(angle), s * -Foundation.cos(angle)]
        let row1 = [s * (-1 - m * Foundation.sin(m)), 0, s]
        for (got, want) in zip(logits, row0 + row1) { #expect(Swift.abs(got - want) < 1e-3, "\(logits)") }

        func crossEntropy(_ row: [Double], _ label: Int) -> Double {
            let top = row.max()!
            return -(row[label] - top - Foundation.log(row.map { Foundation.exp($0 - top) }.reduce(0, +)))
        }
        let expected = (crossEntropy(row0, 0) + crossEntropy(row1, 0)) / 2
        let loss = try head.loss(embeddings, labels: labels).item()
        #expect(Swift.abs(loss - expected) < 1e-3 * expected, "loss \(loss), by hand \(expected)")
    }

    @Test func kernelIsTheOnlyWeightAndShapesAreChecked() throws {
        let head = try ArcFace(embeddingSize: 4, classes: 5)
        #expect(try head.stateDict().dictionary.keys.sorted() == ["kernel"])
        #expect(head.kernel.shape == [4, 5])
        #expect(throws: (any Error).self) { _ = try head.logits(Tensor.zeros([2, 3]), labels: Tensor.zeros([2], dtype: .int64)) }
        #expect(throws: (any Error).self) { _ = try ArcFace(embeddingSize: 4, classes: 1) }
    }
}
