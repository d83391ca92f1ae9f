import Foundation
@testable import Perception
import TestSupport
import Testing
import Torch

/// The box algebra between MTCNN's stages, on hand-made windows with the answers worked out by hand.
@Suite("MTCNN windows")
struct MTCNNWindowTests {
    init() throws { try Runtime.start() }

    private func window(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ score: Double = 0,
                        offsets: [Double] = [0, 0, 0, 0]) -> Candidate
    {
        Candidate(x1: x1, y1: y1, x2: x2, y2: y2, score: score, offsets: offsets)
    }

    @Test func suppressionByUnion() {
        // Areas count whole pixels: A and B are 10 x 10 = 100, D is 6 x 6 = 36.
        let a = window(0, 0, 9, 9, 0.9)
        let b = window(1, 1, 10, 10, 0.8)  // A ∩ B = 9 x 9 = 81, IoU 81 / 119 = 0.68
        let c = window(20, 20, 29, 29, 0.7)  // apart from all
        let d = window(2, 2, 7, 7, 0.95)  // inside A and B: IoU 36 / 100 = 0.36 with each
        // D first (best); it keeps A and B (0.36); A then drops B (0.68 > 0.5); C stays.
        #expect(nonMaximumSuppression([a, b, c, d], threshold: 0.5) == [3, 0, 2])
        #expect(nonMaximumSuppression([a, b, c, d], threshold: 0.7) == [3, 0, 1, 2])
        #expect(nonMaximumSuppression([], threshold: 0.5) == [])
    }

    @Test func suppressionBySmallerArea() {
        let a = window(0, 0, 9, 9, 0.9)
        let b = window(1, 1, 10, 10, 0.8)
        let c = window(20, 20, 29, 29, 0.7)
        let d = window(2, 2, 7, 7, 0.95)
        // D lies wholly inside A and B: overlap 36 / min(36, 100) = 1 drops both.
        #expect(nonMaximumSuppression([a, b, c, d], threshold: 0.7, measure: .minimum) == [3, 2])
    }

    @Test func equalScoresKeepTheLaterWindow() {
        let w = window(0, 0, 9, 9, 0.5)
        #expect(nonMaximumSuppression([w, w], threshold: 0.5) == [1])
    }

    @Test func calibrationMovesCornersByFractionsOfTheSize() {
        // 20 wide, 40 high: x1 + 0.1 * 20, y1 - 0.05 * 40, x2 + 0.2 * 20, y2 + 0.25 * 40.
        let c = window(10, 20, 29, 59, offsets: [0.1, -0.05, 0.2, 0.25]).calibrated()
        #expect([c.x1, c.y1, c.x2, c.y2] == [12, 18, 33, 69])
    }

    @Test func squaringKeepsTheCentre() {
        // 22 x 52 -> side 52: x1 = 12 + 11 - 26 = -3, y1 = 18 + 26 - 26 = 18, x2 = -3 + 51, y2 = 18 + 51.
        let s = window(12, 18, 33, 69, 0.5).squared()
        #expect([s.x1, s.y1, s.x2, s.y2] == [-3, 18, 48, 69])
        #expect(s.score == 0.5)
    }

    @Test func roundingIsHalfToEven() {
        let r = window(2.5, 3.5, -0.5, 7.49).rounded()
        #expect([r.x1, r.y1, r.x2, r.y2] == [2, 4, 0, 7])
    }

    @Test func pyramidScales() {
        // Short side 80 * 12 / 20 = 48, then x 0.709 each level: 34.0, 24.1, 17.1, 12.13 > 12, 8.6 stops.
        let scales = MTCNN.pyramidScales(width: 100, height: 80, minFaceSize: 20, factor: 0.709)
        #expect(scales.count == 5)
        for (k, s) in scales.enumerated() { #expect(abs(s - 0.6 * pow(0.709, Double(k))) < 1e-12) }
        #expect(MTCNN.pyramidScales(width: 19, height: 400, minFaceSize: 20, factor: 0.709).isEmpty)
    }

    @Test func proposalsFromProbabilityMap() throws {
        // Two cells over 0.6; 0.6 itself does not pass (strictly greater, in float32).
        var p = [Float](repeating: 0.1, count: 12)
        p[0 * 4 + 1] = 0.9
        p[2 * 4 + 3] = 0.7
        p[1 * 4 + 2] = 0.6
        let probabilities = try Tensor(p, shape: [3, 4])
        // offsets[c][r][q] = (100 c + 10 r + q) / 1000.
        let codes: [Int] = (0..<48).map { i in (i / 12) * 100 + ((i % 12) / 4) * 10 + i % 4 }
        let offsets = try Tensor(codes.map { Float($0) / 1000 }, shape: [4, 3, 4])
        let found = try Windows.proposals(probabilities: probabilities, offsets: offsets, scale: 0.8, threshold: 0.6)
        #expect(found.count == 2)
        // Cell (row 0, col 1): x1 = round(3 / 0.8) = 4, y1 = round(1 / 0.8) = 1, x2 = round(15 / 0.8) = 19,
        // y2 = round(13 / 0.8) = 16.
        #expect([found[0].x1, found[0].y1, found[0].x2, found[0].y2] == [4, 1, 19, 16])
        // Cell (row 2, col 3): round(7 / 0.8) = 9, round(5 / 0.8) = 6, round(19 / 0.8) = 24, round(17 / 0.8) = 21.
        #expect([found[1].x1, found[1].y1, found[1].x2, found[1].y2] == [9, 6, 24, 21])
        #expect(abs(found[0].score - 0.9) < 1e-7 && abs(found[1].score - 0.7) < 1e-7)
        let want: [Double] = [0.001, 0.101, 0.201, 0.301, 0.023, 0.123, 0.223, 0.323]
        for (got, expected) in zip(found[0].offsets + found[1].offsets, want) { #expect(abs(got - expected) < 1e-7) }
    }

    @Test func cropsAreBlackOutsideTheImage() throws {
        // A 4 x 5 image with value 10 y + x in every channel; the window x -1...1, y 2...4 hangs off the left and
        // the bottom, so its first column and last row are black.
        let values: [Float] = (0..<60).map { (i: Int) -> Float in Float(((i % 20) / 5) * 10 + i % 5) }
        let image = try Tensor(values, shape: [1, 3, 4, 5])
        let crop = try Windows.crops(image, [window(-1, 2, 1, 4)], size: 3)
        #expect(crop.shape == [1, 3, 3, 3])
        let expected: [Float] = [0, 20, 21, 0, 30, 31, 0, 0, 0]
        let want = try (Tensor(expected + expected + expected, shape: [1, 3, 3, 3]) - 127.5) * 0.0078125
        try expectClose(crop, want, tol: 1e-7, "crop")
    }

    @Test func pilStyleResizeRoundsHalfUpPerPass() throws {
        // Halving two pixels averages them: 0.5 and 2.5, which PIL rounds up (torch.round would give 0 and 2).
        let x = try Tensor([0, 1, 2, 3] as [Float], shape: [2, 1, 1, 2])
        #expect(try Windows.resized(x, height: 1, width: 1).floats() == [1, 3])
    }
}
