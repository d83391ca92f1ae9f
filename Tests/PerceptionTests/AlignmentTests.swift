import Foundation
import Images
@testable import Perception
import TestSupport
import Testing
import Torch

/// The FFHQ alignment steps against hand-worked values and NumPy/SciPy/PIL numbers, and the whole alignment on
/// pictures whose landmarks are known.
@Suite("FFHQ alignment")
struct AlignmentTests {
    init() throws { try Runtime.start() }

    // MARK: the quad warp (PIL QUAD + BILINEAR)

    /// A 2 x 2 image [[0, 100], [200, 40]] and the quad covering exactly its four pixels.
    private let square = AlignmentQuad(topLeft: .init(x: -0.5, y: -0.5), bottomLeft: .init(x: -0.5, y: 1.5),
                                       bottomRight: .init(x: 1.5, y: 1.5), topRight: .init(x: 1.5, y: -0.5), size: 2)

    @Test func warpAtTheSourceSizeIsTheIdentity() throws {
        let image = try Tensor([0, 100, 200, 40] as [Float], shape: [1, 1, 2, 2])
        #expect(try QuadSampler.sample(image, quad: square, size: 2).floats() == [0, 100, 200, 40])
    }

    @Test func warpBlendsAndTruncatesAsPIL() throws {
        // Output pixel i reads source x = (i + 0.5) / 2 - 0.5: -0.25, 0.25, 0.75, 1.25; edges repeat.
        // Row y = 0.25: top row [0, 25, 75, 100], bottom row [200, 160, 80, 40], blended 1/4 -> [50, 58.75, 76.25, 85];
        // y = 0.75 -> [150, 126.25, 78.75, 55]; fractions are truncated as PIL's 8-bit filter does.
        let image = try Tensor([0, 100, 200, 40] as [Float], shape: [1, 1, 2, 2])
        let out = try QuadSampler.sample(image, quad: square, size: 4).floats()
        #expect(out == [0, 25, 75, 100, 50, 58, 76, 85, 150, 126, 78, 55, 200, 160, 80, 40])
    }

    @Test func warpIsBlackOutsideTheSource() throws {
        // One pixel to the right: output column 1 reads x = 2, past the last pixel centre plus a half.
        let image = try Tensor([0, 100, 200, 40] as [Float], shape: [1, 1, 2, 2])
        let shifted = square.moved(origin: FacePoint(x: -1, y: 0))
        #expect(try QuadSampler.sample(image, quad: shifted, size: 2).floats() == [100, 0, 40, 0])
    }

    // MARK: the feathered padding

    @Test func mirrorIndices() throws {
        // NumPy 'reflect' of [0 1 2 3]: 3 2 1 | 0 1 2 3 | 2 1 0 1 2.
        let reflect = try BorderFill.mirrorIndices(count: 4, before: 3, after: 5, edge: .excluded, .cpu).int64s()
        #expect(reflect == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2])
        // SciPy 'reflect' of [0 1 2]: 2 2 1 0 | 0 1 2 | 2 1 0 0.
        let symmetric = try BorderFill.mirrorIndices(count: 3, before: 4, after: 4, edge: .included, .cpu).int64s()
        #expect(symmetric == [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0])
        let single = try BorderFill.mirrorIndices(count: 1, before: 2, after: 1, edge: .excluded, .cpu).int64s()
        #expect(single == [0, 0, 0, 0])
    }

    @Test func featherRamp() throws {
        // 4 pixels padded by 2 before and 3 after: 1 - min(i / 2, (8 - i) / 3).
        let r = try BorderFill.ramp(count: 4, before: 2, after: 3, .cpu).doubles()
        let want = [1, 0.5, 0, -0.5, -1 / 3.0, 0, 1 / 3.0, 2 / 3.0, 1]
        for (g, w) in zip(r, want) { #expect(abs(g - w) < 1e-6) }
    }

    @Test func medianAveragesTheMiddlePair() throws {
        let even = try Tensor([4, 1, 3, 2, 9, 9, 9, 8] as [Float], shape: [1, 2, 2, 2])
        #expect(try BorderFill.median(even).floats() == [2.5, 9])
        let odd = try Tensor([5, 1, 3] as [Float], shape: [1, 1, 1, 3])
        #expect(try BorderFill.median(odd).floats() == [3])
    }

    @Test func gaussianBlurMatchesSciPy() throws {
        // scipy.ndimage.gaussian_filter(((3 i + 5 j) % 7) * 10 over 4 x 5, sigma 1): radius 4 reaches past the
        // image, so the mirroring repeats.
        let values: [Float] = (0..<20).map { (k: Int) -> Float in Float(((3 * (k / 5) + 5 * (k % 5)) % 7) * 10) }
        let blurred = try BorderFill.gaussianBlur(Tensor(values, shape: [1, 1, 4, 5]), sigma: 1)
        let scipy: [Float] = [
            21.38248634338379, 29.259119033813477, 32.30254364013672, 32.79628372192383, 38.19967269897461,
            28.74808120727539, 30.924612045288086, 32.12314987182617, 31.36640739440918, 33.379364013671875,
            32.69905471801758, 30.386510848999023, 29.480182647705078, 27.85161590576172, 28.234033584594727,
            26.998945236206055, 26.018505096435547, 28.109777450561523, 26.32866096496582, 23.410995483398438,
        ]
        try expectClose(blurred, Tensor(scipy, shape: [1, 1, 4, 5]), tol: 1e-5, "blur")
    }

    @Test func paddingMatchesTheScript() throws {
        // Source ((7 y + 3 x + 50 c) * 13) % 256 over 3 x 4 x 3, pads (left 2, top 1, right 3, bottom 2), qsize 40
        // (blur 0.8); expected values from the script's NumPy/SciPy lines.
        let values: [Float] = (0..<36).map { (k: Int) -> Float in
            let (c, y, x) = (k / 12, (k % 12) / 4, k % 4)
            return Float(((7 * y + 3 * x + 50 * c) * 13) % 256)
        }
        let padded = try BorderFill.pad(Tensor(values, shape: [1, 3, 3, 4]), left: 2, top: 1, right: 3, bottom: 2,
                                        blurSigma: 40 * 0.02)
        #expect(padded.shape == [1, 3, 6, 9])
        let red: [Float] = [
            113, 113, 113, 113, 113, 113, 113, 113, 113, 113, 100, 69, 87, 120, 138, 117, 104, 113,
            113, 115, 110, 130, 169, 131, 120, 114, 113, 113, 127, 148, 141, 113, 106, 113, 122, 113,
            113, 114, 110, 114, 117, 121, 117, 113, 113, 113, 113, 113, 113, 113, 113, 113, 113, 113,
        ]
        #expect(try padded.select(1, 0).flatten().floats() == red)
        #expect(try padded.sum([2, 3]).floats() == [6238, 6345, 7318])
    }

    // MARK: whole alignment

    /// Black `width` x `height` with a white Gaussian dot (sigma 2 px) at each point.
    private func dots(_ points: [FacePoint], width: Int, height: Int) throws -> Tensor {
        let x = try Tensor.arange(0, Double(width)).reshape([1, width])
        let y = try Tensor.arange(0, Double(height)).reshape([height, 1])
        var intensity = try Tensor.zeros([height, width])
        for p in points { intensity = try intensity + (((x - p.x).square() + (y - p.y).square()) / -8).exp() * 255 }
        return try (intensity.clamp(max: 255) / 127.5 - 1).expand([1, 3, height, width])
    }

    /// The intensity-weighted centre of the aligned image within `radius` px of `near`.
    private func centroid(_ aligned: Tensor, near: FacePoint, radius: Int) throws -> FacePoint {
        let (x0, y0, n) = (Int(near.x.rounded()) - radius, Int(near.y.rounded()) - radius, 2 * radius + 1)
        let window = try ((aligned.select(0, 0).select(0, 0) + 1) * 127.5).narrow(0, start: y0, length: n)
            .narrow(1, start: x0, length: n)
        let total = try window.sum().item()
        let xs = try Tensor.arange(Double(x0), Double(x0 + n)).reshape([1, n])
        let ys = try Tensor.arange(Double(y0), Double(y0 + n)).reshape([n, 1])
        return FacePoint(x: try (window * xs).sum().item() / total, y: try (window * ys).sum().item() / total)
    }

    /// Eyes 100 apart and the mouth 100 below them give the quad of `AlignmentQuadTests.eyesSetTheScale`, whose
    /// unit square puts the eyes at u = 0.375 and 0.625, v = 0.475, and the mouth corners (30 either side of the
    /// middle) at u = 0.425 and 0.575, v = 0.725; output pixel i centres on u = (i + 0.5) / size.
    private func expectCanonical(_ landmarks: [FacePoint], width: Int, height: Int, size: Int, supersampling: Int = 4,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        let quad = AlignmentQuad(leftEye: landmarks[0], rightEye: landmarks[1], mouthLeft: landmarks[2],
                                 mouthRight: landmarks[3])
        let aligned = try FFHQAlignment.align(dots(landmarks, width: width, height: height), quad: quad,
                                              outputSize: size, supersampling: supersampling)
        #expect(aligned.shape == [1, 3, size, size], sourceLocation: sourceLocation)
        let s = Double(size)
        let canonical = [(0.375, 0.475), (0.625, 0.475), (0.425, 0.725), (0.575, 0.725)]
        for (u, v) in canonical {
            let want = FacePoint(x: u * s - 0.5, y: v * s - 0.5)
            let got = try centroid(aligned, near: want, radius: size / 16)  // the mouth corners are 0.15 size apart
            #expect(abs(got.x - want.x) < 1 && abs(got.y - want.y) < 1, "\(got) vs \(want)",
                    sourceLocation: sourceLocation)
        }
    }

    private let upright = [
        FacePoint(x: 150, y: 120), FacePoint(x: 250, y: 120), FacePoint(x: 170, y: 220), FacePoint(x: 230, y: 220),
    ]

    @Test func landmarksLandOnTheirCanonicalPlaces() throws {
        // Quad x 0...400, y -70...330 on a 400 x 300 image: cropped and padded.
        try expectCanonical(upright, width: 400, height: 300, size: 256)
        // Wholly inside a larger image: neither padded nor shrunk; warped straight to the output size.
        let inside = upright.map { FacePoint(x: $0.x + 100, y: $0.y + 120) }
        try expectCanonical(inside, width: 600, height: 500, size: 128, supersampling: 1)
    }

    @Test func tiltedFacesComeOutUpright() throws {
        let (s, c) = (sin(0.45), cos(0.45))
        let turned = upright.map { p in
            FacePoint(x: 200 + c * (p.x - 200) - s * (p.y - 150), y: 150 + s * (p.x - 200) + c * (p.y - 150))
        }
        try expectCanonical(turned, width: 400, height: 300, size: 128)
    }

    @Test func largeFacesAreShrunkFirst() throws {
        // Quad 400 px for a 64 px output: shrink = floor(400 / 64 / 2) = 3.
        try expectCanonical(upright, width: 400, height: 300, size: 64)
    }

    /// The drawn face warped straight to 64 px (padding on, no resize), against the script run with PIL 13, NumPy 2
    /// and SciPy 1.17 on the same picture: equal to the level.
    @Test func matchesTheScriptWhenNothingIsResized() throws {
        let landmarks = FaceLandmarks(leftEye: .init(x: 61.67, y: 72.89), rightEye: .init(x: 98.18, y: 73.19),
                                      nose: .init(x: 80, y: 95), mouthLeft: .init(x: 66.66, y: 114.25),
                                      mouthRight: .init(x: 94.51, y: 114.14))
        let aligned = try FFHQAlignment.align(SyntheticFace.image(size: 160), landmarks: landmarks, outputSize: 64,
                                              supersampling: 1)
        #expect(aligned.width == 64 && aligned.height == 64)
        let sums = (0..<3).map { c in
            stride(from: c, to: aligned.pixels.count, by: 3).reduce(0) { $0 + Int(aligned.pixels[$1]) }
        }
        #expect(sums == [497553, 479617, 492102])
        let script: [((Int, Int), [UInt16])] = [
            ((0, 0), [90, 110, 130]), ((5, 60), [90, 110, 130]), ((20, 20), [124, 91, 73]),
            ((30, 40), [74, 54, 45]), ((45, 32), [211, 147, 122]), ((63, 63), [90, 110, 130]),
        ]
        for ((row, column), rgb) in script {
            #expect((0..<3).map { aligned[x: column, y: row, channel: $0] } == rgb, "pixel (\(row), \(column))")
        }
    }

    @Test func rejectsBadArguments() throws {
        let quad = AlignmentQuad(leftEye: upright[0], rightEye: upright[1], mouthLeft: upright[2],
                                 mouthRight: upright[3])
        let image = try Tensor.zeros([1, 3, 300, 400])
        #expect(throws: TorchError.self) { try FFHQAlignment.align(image, quad: quad, outputSize: 0) }
        #expect(throws: TorchError.self) {
            try FFHQAlignment.align(Tensor.zeros([3, 300, 400]), quad: quad, outputSize: 64)
        }
        let point = FacePoint(x: 5, y: 5)
        let flat = AlignmentQuad(leftEye: point, rightEye: point, mouthLeft: point, mouthRight: point)
        #expect(throws: TorchError.self) { try FFHQAlignment.align(image, quad: flat, outputSize: 64) }
        let far = quad.moved(origin: FacePoint(x: 5000, y: 0))
        #expect(throws: TorchError.self) { try FFHQAlignment.align(image, quad: far, outputSize: 64) }
    }
}
