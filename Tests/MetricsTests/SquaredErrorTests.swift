import Foundation
import Metrics
import Testing
import Torch

/// MSE on [0, 1], pSp's L2 on [-1, 1], and PSNR, against values worked out by hand.
@Suite("Squared error and PSNR")
struct SquaredErrorTests {
    init() throws { try Runtime.start() }

    /// A ±1 checkerboard [1, 3, 8, 8].
    func checkerboard() throws -> Tensor {
        let values = (0..<(3 * 64)).map { Float(($0 % 8 + $0 / 8) % 2 == 0 ? 1 : -1) }
        return try Tensor(values, shape: [1, 3, 8, 8])
    }

    @Test func identicalImages() throws {
        let x = try Tensor.rand([2, 3, 8, 8]) * 2 - 1
        #expect(try Metrics.mse(x, x) == [0, 0])
        #expect(try Metrics.l2(x, x) == [0, 0])
        #expect(try Metrics.psnr(x, x) == [.infinity, .infinity])
    }

    /// Image 0 is shifted by 0.125 and image 1 by -0.5 on [-1, 1]: L2 is the shift squared, MSE a quarter of it.
    @Test func constantShifts() throws {
        let x = try Tensor.full([2, 3, 8, 8], 0.25)
        let y = try Tensor.cat([Tensor.full([1, 3, 8, 8], 0.375), Tensor.full([1, 3, 8, 8], -0.25)])
        #expect(try Metrics.l2(x, y) == [0.125 * 0.125, 0.5 * 0.5])
        #expect(try Metrics.mse(x, y) == [0.0625 * 0.0625, 0.25 * 0.25])
        let psnr = try Metrics.psnr(x, y)
        #expect(abs(psnr[0] - 20 * log10(1 / 0.0625)) < 1e-12)
        #expect(abs(psnr[1] - 20 * log10(1 / 0.25)) < 1e-12)
    }

    /// ±δ noise has squared error δ² at every pixel whatever the image.
    @Test func knownNoise() throws {
        let delta = 0.0625
        let x = try Tensor.rand([1, 3, 8, 8], generator: Generator(seed: 1)) - 0.5
        let y = try x + checkerboard() * delta
        #expect(abs(try Metrics.l2(x, y)[0] - delta * delta) < 1e-12)
        #expect(abs(try Metrics.mse(x, y)[0] - delta * delta / 4) < 1e-12)
        #expect(abs(try Metrics.psnr(x, y)[0] - 10 * log10(4 / (delta * delta))) < 1e-9)
    }

    @Test func shapesMustAgree() throws {
        let x = try Tensor.zeros([2, 3, 8, 8])
        #expect(throws: TorchError.self) { try Metrics.mse(x, Tensor.zeros([2, 3, 8, 7])) }
        #expect(throws: TorchError.self) { try Metrics.l2(x.reshape([2, 3, 64]), Tensor.zeros([2, 3, 64])) }
        #expect(throws: TorchError.self) { try Metrics.psnr(x, Tensor.zeros([2, 3, 8, 8], dtype: .int64)) }
    }
}
