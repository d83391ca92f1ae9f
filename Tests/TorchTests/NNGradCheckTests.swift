import Testing
import Torch

/// Finite-difference checks (float64) of the gradients of the functional ops and layers the models train through.
@Suite struct NNGradCheckTests {
    typealias T = NNTest

    @Test func conv2dStridePaddingDilationGroups() throws {
        let x = try T.randn([1, 4, 5, 5], seed: 1)
        let w = try T.randn([4, 2, 3, 3], seed: 2)
        let b = try T.randn([4], seed: 3)
        try T.expectGradients(inputs: [x, w, b]) { xs in
            try F.conv2d(xs[0], xs[1], bias: xs[2], stride: (2, 2), padding: (1, 1), dilation: (2, 2), groups: 2)
        }
    }

    @Test func conv2dAsymmetric() throws {
        let x = try T.randn([2, 3, 4, 5], seed: 4)
        let w = try T.randn([2, 3, 2, 3], seed: 5)
        try T.expectGradients(inputs: [x, w]) { xs in
            try F.conv2d(xs[0], xs[1], stride: (1, 2), padding: (0, 1))
        }
    }

    @Test func convTranspose2dStrideTwoOutputPadding() throws {
        let x = try T.randn([1, 2, 3, 3], seed: 6)
        let w = try T.randn([2, 3, 3, 3], seed: 7)
        let b = try T.randn([3], seed: 8)
        try T.expectGradients(inputs: [x, w, b]) { xs in
            let y = try F.convTranspose2d(xs[0], xs[1], bias: xs[2], stride: (2, 2), padding: (1, 1),
                                          outputPadding: (1, 1))
            #expect(y.shape == [1, 3, 6, 6])
            return y
        }
    }

    @Test func linear() throws {
        let x = try T.randn([3, 4], seed: 9)
        let w = try T.randn([5, 4], seed: 10)
        let b = try T.randn([5], seed: 11)
        try T.expectGradients(inputs: [x, w, b]) { xs in try F.linear(xs[0], xs[1], bias: xs[2]) }
    }

    @Test func batchNormTraining() throws {
        let x = try T.randn([4, 3, 2, 2], seed: 12)
        let weight = try T.randn([3], seed: 13)
        let bias = try T.randn([3], seed: 14)
        let runningMean = try Tensor.zeros([3], dtype: .float64)
        let runningVar = try Tensor.ones([3], dtype: .float64)
        try T.expectGradients(inputs: [x, weight, bias]) { xs in
            try F.batchNorm(xs[0], runningMean: runningMean, runningVar: runningVar, weight: xs[1], bias: xs[2],
                            training: true)
        }
    }

    @Test func batchNormModuleParameters() throws {
        let bn = try BatchNorm2d(2, dtype: .float64)
        try withNoGrad {
            try bn.weight?.copy_(Tensor([1.5, -0.5]))
            try bn.bias?.copy_(Tensor([0.2, 0.1]))
        }
        try T.expectGradients(inputs: [try T.randn([3, 2, 2, 2], seed: 15)], parameters: bn.namedParameters()) {
            try bn($0[0])
        }
    }

    @Test func instanceNorm() throws {
        let x = try T.randn([2, 3, 3, 3], seed: 16)
        let weight = try T.randn([3], seed: 17)
        let bias = try T.randn([3], seed: 18)
        try T.expectGradients(inputs: [x, weight, bias]) { xs in
            try F.instanceNorm(xs[0], weight: xs[1], bias: xs[2])
        }
    }

    @Test func layerNorm() throws {
        let x = try T.randn([2, 3, 4], seed: 19)
        let weight = try T.randn([3, 4], seed: 20)
        let bias = try T.randn([3, 4], seed: 21)
        try T.expectGradients(inputs: [x, weight, bias]) { xs in
            try F.layerNorm(xs[0], [3, 4], weight: xs[1], bias: xs[2])
        }
    }

    @Test func groupNorm() throws {
        let x = try T.randn([2, 4, 3, 3], seed: 22)
        let weight = try T.randn([4], seed: 23)
        let bias = try T.randn([4], seed: 24)
        try T.expectGradients(inputs: [x, weight, bias]) { xs in
            try F.groupNorm(xs[0], groups: 2, weight: xs[1], bias: xs[2])
        }
    }

    @Test func multiheadAttentionWithWeights() throws {
        let mha = try MultiheadAttention(embedDim: 4, numHeads: 2, dtype: .float64, generator: Generator(seed: 25))
        try withNoGrad { try mha.inProjBias?.copy_(T.randn([12], seed: 26)) }
        let q = try T.randn([3, 2, 4], seed: 27)
        let kv = try T.randn([5, 2, 4], seed: 28)
        try T.expectGradients(inputs: [q, kv, kv], parameters: mha.namedParameters()) { xs in
            let (output, weights) = try mha(xs[0], xs[1], xs[2])
            return try output.sum() + (#require(weights) * 3).pow(2).sum()
        }
    }

    @Test func multiheadAttentionFusedPathWithMasks() throws {
        let mha = try MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 3, vdim: 2, batchFirst: true,
                                         dtype: .float64, generator: Generator(seed: 29))
        let q = try T.randn([2, 3, 4], seed: 30)
        let k = try T.randn([2, 4, 3], seed: 31)
        let v = try T.randn([2, 4, 2], seed: 32)
        let padding = try Tensor([false, false, true, false, false, false, false, true], shape: [2, 4])
        let causal = try Tensor.ones([3, 4], dtype: .bool).triu(1)
        try T.expectGradients(inputs: [q, k, v], parameters: mha.namedParameters()) { xs in
            try mha(xs[0], xs[1], xs[2], keyPaddingMask: padding, needWeights: false, attnMask: causal).output
        }
    }

    @Test func scaledDotProductAttention() throws {
        let q = try T.randn([2, 3, 4], seed: 33)
        let k = try T.randn([2, 5, 4], seed: 34)
        let v = try T.randn([2, 5, 3], seed: 35)
        let mask = try T.randn([3, 5], seed: 36)
        try T.expectGradients(inputs: [q, k, v, mask]) { xs in
            try F.scaledDotProductAttention(xs[0], xs[1], xs[2], mask: xs[3])
        }
        // softmax(q k^T / sqrt(4) + mask) v, written out.
        let manual = try F.softmax(q.bmm(k.transpose(1, 2)) / 2 + mask, dim: -1).bmm(v)
        #expect(try T.maxDifference(F.scaledDotProductAttention(q, k, v, mask: mask), manual) < 1e-12)
    }

    @Test(arguments: [(F.InterpolationMode.bilinear, false), (.bicubic, false), (.nearest, false)])
    func interpolateUp(mode: F.InterpolationMode, alignCorners: Bool) throws {
        let x = try T.randn([1, 2, 4, 4], seed: 37)
        try T.expectGradients(inputs: [x]) { xs in
            try F.interpolate(xs[0], size: (6, 7), mode: mode, alignCorners: mode == .nearest ? nil : alignCorners)
        }
    }

    @Test func interpolateBicubicAlignCorners() throws {
        try T.expectGradients(inputs: [try T.randn([1, 1, 3, 4], seed: 38)]) { xs in
            try F.interpolate(xs[0], scale: (2, 1.5), mode: .bicubic, alignCorners: true)
        }
    }

    @Test func interpolateAntialiasedBilinearDown() throws {
        try T.expectGradients(inputs: [try T.randn([1, 2, 8, 8], seed: 39)]) { xs in
            try F.interpolate(xs[0], size: (3, 5), mode: .bilinear, alignCorners: false, antialias: true)
        }
    }

    @Test func padConstantAndReflect() throws {
        let x = try T.randn([1, 2, 4, 4], seed: 40)
        try T.expectGradients(inputs: [x]) { xs in try xs[0].pad([1, 2, 0, 1], mode: .constant, value: 0.5) }
        try T.expectGradients(inputs: [x]) { xs in try xs[0].pad([2, 1, 1, 3], mode: .reflect) }
    }

    @Test func preluAndLeakyRelu() throws {
        let x = try T.randn([2, 3, 4], seed: 41)
        let slopes = try Tensor([0.25, -0.1, 0.7])
        try T.expectGradients(inputs: [x, slopes]) { xs in try F.prelu(xs[0], weight: xs[1]) }
        try T.expectGradients(inputs: [x]) { xs in try F.leakyRelu(xs[0], slope: 0.2) }
    }
}
