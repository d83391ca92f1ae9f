import Foundation
import Testing
import Torch

/// Neural-network functions against values worked out by hand.
@Suite("Functional")
struct FunctionalTests {
    @Test func conv2dSumsWindows() throws {
        // A 3x3 image 1..9 and an all-ones 2x2 kernel: each output sums a 2x2 window.
        let x = try Tensor.arange(1, 10).reshape([1, 1, 3, 3])
        let w = try Tensor.ones([1, 1, 2, 2])
        #expect(try F.conv2d(x, w).floats() == [12, 16, 24, 28])
        #expect(try F.conv2d(x, w, bias: Tensor([Float(1)])).floats() == [13, 17, 25, 29])
        #expect(try F.conv2d(x, w, stride: (2, 2), padding: (1, 1)).floats() == [1, 5, 11, 28])
        #expect(try F.conv2d(x, w, dilation: (2, 2)).floats() == [20])
        // groups = 2: each channel convolved on its own.
        let two = try Tensor.cat([x, x * 2], dim: 1)
        #expect(try F.conv2d(two, Tensor.ones([2, 1, 2, 2]), groups: 2).floats() == [12, 16, 24, 28, 24, 32, 48, 56])
        let error = #expect(throws: TorchError.self) { try F.conv2d(x, Tensor.ones([1, 2, 2, 2])) }
        #expect(error?.message.contains("channels") == true)
    }

    @Test func convTransposeSpreadsInputs() throws {
        // Stride 2 transposed conv of [1,2] with a ones 2x2 kernel tiles each value into a 2x2 block.
        let x = try Tensor([Float(1), 2], shape: [1, 1, 1, 2])
        let y = try F.convTranspose2d(x, Tensor.ones([1, 1, 2, 2]), stride: (2, 2))
        #expect(y.shape == [1, 1, 2, 4])
        #expect(try y.floats() == [1, 1, 2, 2, 1, 1, 2, 2])
        let padded = try F.convTranspose2d(x, Tensor.ones([1, 1, 3, 3]), stride: (2, 2), padding: (1, 1),
                                           outputPadding: (1, 1))
        #expect(padded.shape == [1, 1, 2, 4])
    }

    @Test func linear() throws {
        let x = try Tensor([Float(1), 2], shape: [1, 2])
        let w = try Tensor([Float(1), 1, 2, -1], shape: [2, 2])
        #expect(try F.linear(x, w).floats() == [3, 0])
        #expect(try F.linear(x, w, bias: Tensor([Float(1), 1])).floats() == [4, 1])
        #expect(throws: TorchError.self) { try F.linear(x, Tensor.ones([2, 3])) }
    }

    @Test func normalisations() throws {
        // [1,3] has mean 2 and population variance 1: normalised to [-1, 1] (eps aside).
        let x = try Tensor([Double(1), 3, 5, 7], shape: [2, 2, 1, 1])
        let ln = try F.layerNorm(try x.reshape([2, 2]), [2], eps: 0)
        #expect(close(try ln.doubles(), [-1, 1, -1, 1]))
        let gn = try F.groupNorm(try x.reshape([1, 4, 1, 1]), groups: 2, eps: 0)
        #expect(close(try gn.doubles(), [-1, 1, -1, 1]))
        // Batch norm over N per channel: channel 0 sees [1,5], channel 1 sees [3,7].
        let mean = try Tensor.zeros([2], dtype: .float64)
        let variance = try Tensor.ones([2], dtype: .float64)
        let bn = try F.batchNorm(x, runningMean: mean, runningVar: variance, training: true, momentum: 0.5, eps: 0)
        #expect(close(try bn.doubles(), [-1, -1, 1, 1]))
        // Running stats move halfway to the batch mean (3, 5) and unbiased variance (8, 8).
        #expect(close(try mean.doubles(), [1.5, 2.5]))
        #expect(close(try variance.doubles(), [4.5, 4.5]))
        let eval = try F.batchNorm(x, runningMean: mean, runningVar: variance, training: false, eps: 0)
        #expect(close(try eval.doubles(), [(1 - 1.5) / (4.5).squareRoot(), (3 - 2.5) / (4.5).squareRoot(),
                                           (5 - 1.5) / (4.5).squareRoot(), (7 - 2.5) / (4.5).squareRoot()]))
        let image = try Tensor([Double(0), 2, 4, 6], shape: [1, 1, 2, 2])
        // mean 3, population variance 5.
        let inorm = try F.instanceNorm(image, eps: 0)
        #expect(close(try inorm.doubles(), [-3, -1, 1, 3].map { $0 / (5.0).squareRoot() }))
        #expect(close(try F.normalize(Tensor([Double(3), 4], shape: [1, 2])).doubles(), [0.6, 0.8]))
    }

    @Test func pooling() throws {
        let x = try Tensor.arange(1, 17).reshape([1, 1, 4, 4])
        #expect(try F.avgPool2d(x, kernel: (2, 2)).floats() == [3.5, 5.5, 11.5, 13.5])
        #expect(try F.maxPool2d(x, kernel: (2, 2)).floats() == [6, 8, 14, 16])
        #expect(try F.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1)).floats() == [6, 8, 14, 16])
        #expect(try F.adaptiveAvgPool2d(x, (1, 1)).floats() == [8.5])
        #expect(try F.adaptiveAvgPool2d(x, (2, 2)).floats() == [3.5, 5.5, 11.5, 13.5])
        #expect(try F.adaptiveMaxPool2d(x, (1, 2)).floats() == [14, 16])
        // count_include_pad=False averages only real pixels at the border.
        let corner = try F.avgPool2d(x, kernel: (3, 3), stride: (3, 3), padding: (1, 1), countIncludePad: false)
        #expect(try corner.floats()[0] == 3.5)
    }

    @Test func interpolation() throws {
        let x = try Tensor([Float(0), 1, 2, 3], shape: [1, 1, 2, 2])
        #expect(try F.interpolate(x, size: (4, 4), mode: .nearest).floats()
            == [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3])
        // align_corners=True: corners stay, midpoints average.
        let up = try F.interpolate(x, size: (3, 3), mode: .bilinear, alignCorners: true)
        #expect(try up.floats() == [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3])
        #expect(try F.interpolate(x, scale: (2, 2), mode: .bilinear, alignCorners: false).shape == [1, 1, 4, 4])
        let big = try Tensor.arange(0, 16).reshape([1, 1, 4, 4])
        #expect(try F.interpolate(big, size: (2, 2), mode: .area).floats() == [2.5, 4.5, 10.5, 12.5])
        // Antialiased bilinear downsampling by 2 averages each 2x2 block for a linear ramp.
        let aa = try F.interpolate(big, size: (2, 2), mode: .bilinear, alignCorners: false, antialias: true)
        #expect(aa.shape == [1, 1, 2, 2])
        #expect(close(try aa.floats(), try F.interpolate(big, size: (2, 2), mode: .area).floats(), tol: 0.6))
        #expect(try F.interpolate(x, size: (4, 4), mode: .bicubic, alignCorners: false).shape == [1, 1, 4, 4])
        #expect(throws: TorchError.self) { try F.interpolate(x, size: (4, 4), mode: .nearest, alignCorners: true) }
        #expect(throws: TorchError.self) { try F.interpolate(Tensor.zeros([2, 2]), size: (4, 4), mode: .nearest) }
    }

    @Test func activations() throws {
        let x = try Tensor([Double(-2), 0, 2])
        #expect(close(try F.leakyRelu(x, slope: 0.2).doubles(), [-0.4, 0, 2]))
        #expect(close(try F.prelu(try x.reshape([1, 3]), weight: Tensor([Double(0.25)])).doubles(), [-0.5, 0, 2]))
        #expect(close(try F.gelu(Tensor([Double(0)])).doubles(), [0]))
        #expect(close(try F.softplus(Tensor([Double(0)])).doubles(), [log(2)]))
        #expect(close(try F.softmax(Tensor([Double(0), 0]), dim: 0).doubles(), [0.5, 0.5]))
        #expect(close(try F.logSoftmax(Tensor([Double(0), 0]), dim: 0).doubles(), [-log(2), -log(2)]))
        #expect(close(try F.tanh(Tensor([Double(0)])).doubles(), [0]))
    }

    @Test func dropoutOnlyWhenTraining() throws {
        let x = try Tensor.ones([10_000])
        #expect(try F.dropout(x, p: 0.5, training: false).floats() == (try x.floats()))
        let kept = try F.dropout(x, p: 0.5, training: true).floats()
        #expect(Set(kept).isSubset(of: [0, 2]))
        let fraction = Double(kept.filter { $0 == 0 }.count) / 10_000
        #expect(abs(fraction - 0.5) < 0.05)
    }

    @Test func attentionWithOneKeyReturnsItsValue() throws {
        let q = try Tensor.randn([1, 2, 3, 4], generator: Generator(seed: 1))
        let k = try Tensor.randn([1, 2, 1, 4], generator: Generator(seed: 2))
        let v = try Tensor.randn([1, 2, 1, 5], generator: Generator(seed: 3))
        let out = try F.scaledDotProductAttention(q, k, v)
        #expect(out.shape == [1, 2, 3, 5])
        #expect(close(try out.floats(), try v.expand([1, 2, 3, 5]).contiguous().floats()))
        // Equal keys share attention evenly: output is the mean of the values.
        let k2 = try Tensor.zeros([1, 1, 2, 4])
        let v2 = try Tensor([Float(0), 2], shape: [1, 1, 2, 1])
        #expect(try F.scaledDotProductAttention(try q.slice(1, 0, 1), k2, v2, scale: 0.3).floats() == [1, 1, 1])
    }

    @Test func similarity() throws {
        let a = try Tensor([Double(1), 0], shape: [1, 2])
        let b = try Tensor([Double(1), 1], shape: [1, 2])
        #expect(close(try F.cosineSimilarity(a, b).doubles(), [(0.5).squareRoot()]))
    }

    @Test func losses() throws {
        let a = try Tensor([Double(0), 0, 0])
        let b = try Tensor([Double(0.05), -1, 3])
        #expect(close(try F.mseLoss(a, b).doubles(), [(0.0025 + 1 + 9) / 3]))
        #expect(close(try F.mseLoss(a, b, reduction: .sum).doubles(), [10.0025]))
        #expect(close(try F.l1Loss(a, b).doubles(), [4.05 / 3]))
        // beta 0.1: |0.05| < beta -> 0.5*0.0025/0.1 = 0.0125; others |d| - 0.05.
        #expect(close(try F.smoothL1Loss(a, b, beta: 0.1, reduction: .none).doubles(), [0.0125, 0.95, 2.95]))
        // Two equal logits: cross entropy log 2.
        let logits = try Tensor([Double(0), 0, 5, 5], shape: [2, 2])
        let target = try Tensor([Int64(0), 1])
        #expect(close(try F.crossEntropy(logits, target).doubles(), [log(2)]))
        #expect(close(try F.crossEntropy(logits, target, ignoreIndex: 1).doubles(), [log(2)]))
        #expect(throws: TorchError.self) { try F.crossEntropy(logits, Tensor([Int64(5), 0])) }
        #expect(throws: TorchError.self) { try F.mseLoss(a, Tensor.zeros([2], dtype: .float64)) }
    }

    @Test func pixelShuffleAndEmbedding() throws {
        let x = try Tensor.arange(0, 4).reshape([1, 4, 1, 1])
        #expect(try F.pixelShuffle(x, 2).floats() == [0, 1, 2, 3])
        let table = try Tensor.arange(0, 6).reshape([3, 2])
        #expect(try F.embedding(table, Tensor([Int64(2), 0])).floats() == [4, 5, 0, 1])
    }
}
