import Foundation
import Metrics
import Testing
import Torch

/// SSIM and MS-SSIM against closed forms: uniform images (no structure, so only the luminance term remains) and a
/// ramp shifted by a constant (the Gaussian window preserves linear functions and the contrast-structure term is 1).
@Suite("SSIM and MS-SSIM")
struct SSIMTests {
    init() throws { try Runtime.start() }

    let c1 = 0.01 * 0.01

    /// The luminance term for local means a and b on [0, 1].
    func luminance(_ a: Double, _ b: Double) -> Double { (2 * a * b + c1) / (a * a + b * b + c1) }

    @Test func identicalImagesScoreOne() throws {
        let x = try Tensor.rand([2, 3, 176, 176], generator: Generator(seed: 2)) * 2 - 1
        for value in try Metrics.ssim(x, x) + Metrics.msssim(x, x) { #expect(abs(value - 1) < 1e-12) }
    }

    @Test func uniformImages() throws {
        // -0.5 and 0.25 on [-1, 1] are 0.25 and 0.625 on [0, 1].
        let x = try Tensor.full([1, 3, 256, 256], -0.5)
        let y = try Tensor.full([1, 3, 256, 256], 0.25)
        let expected = luminance(0.25, 0.625)
        #expect(abs(try Metrics.ssim(x.slice(2, 0, 32).slice(3, 0, 32), y.slice(2, 0, 32).slice(3, 0, 32))[0]
            - expected) < 1e-10)
        // Contrast-structure is 1 at every scale, so only the coarsest scale's SSIM and its weight remain.
        #expect(abs(try Metrics.msssim(x, y)[0] - pow(expected, 0.1333)) < 1e-10)
    }

    @Test func shiftedRamp() throws {
        // Channel c of x is -0.5 + w / 64 + c / 8 on [-1, 1]; y adds 0.25. On [0, 1]: 0.25 + w / 128 + c / 16 and
        // 0.125 more. The window's valid centres are w = 5 ..< 27 in every row.
        let (height, width) = (16, 32)
        var values: [Float] = []
        for c in 0..<3 {
            for _ in 0..<height { for w in 0..<width { values.append(Float(-0.5 + Double(w) / 64 + Double(c) / 8)) } }
        }
        let x = try Tensor(values, shape: [1, 3, height, width])
        let y = try x + 0.25
        var expected = 0.0
        for c in 0..<3 {
            for w in 5..<(width - 5) {
                let a = 0.25 + Double(w) / 128 + Double(c) / 16
                expected += luminance(a, a + 0.125)
            }
        }
        expected /= Double(3 * (width - 10))
        #expect(abs(try Metrics.ssim(x, y)[0] - expected) < 1e-9)
        #expect(abs(try Metrics.ssim(y, x)[0] - expected) < 1e-9)
    }

    @Test func noiseLowersBoth() throws {
        let x = try Tensor.rand([2, 3, 176, 176], generator: Generator(seed: 3)) * 1.6 - 0.8
        let noisy = try x + Tensor.randn([2, 3, 176, 176], generator: Generator(seed: 4)) * 0.1
        let noisier = try x + Tensor.randn([2, 3, 176, 176], generator: Generator(seed: 4)) * 0.3
        let (s1, s2) = (try Metrics.ssim(x, noisy), try Metrics.ssim(x, noisier))
        let (m1, m2) = (try Metrics.msssim(x, noisy), try Metrics.msssim(x, noisier))
        for i in 0..<2 {
            #expect(s1[i] < 1 && s2[i] < s1[i])
            #expect(m1[i] < 1 && m2[i] < m1[i] && m2[i] > 0)
        }
    }

    @Test func sizesTheWindowsNeed() throws {
        let narrow = try Tensor.zeros([1, 3, 10, 32])
        #expect(throws: TorchError.self) { try Metrics.ssim(narrow, narrow) }
        _ = try Metrics.ssim(Tensor.zeros([1, 3, 11, 11]), Tensor.zeros([1, 3, 11, 11]))
        #expect(throws: TorchError.self) {
            try Metrics.msssim(Tensor.zeros([1, 3, 160, 200]), Tensor.zeros([1, 3, 160, 200]))
        }
        // 161 is odd: the pooling pads, and the coarsest scale is still 11 wide.
        let x = try Tensor.rand([1, 3, 161, 161], generator: Generator(seed: 5))
        #expect(abs(try Metrics.msssim(x, x)[0] - 1) < 1e-12)
    }
}
