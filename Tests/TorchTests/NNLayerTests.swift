import Testing
import Torch

/// Forward behaviour of the layers, against values worked out by hand.
@Suite struct NNLayerTests {
    typealias T = NNTest

    /// Features [1, 3, 5] and [2, 6, 10]: means 3 and 6, unbiased variances 4 and 16, biased 8/3 and 32/3.
    static func batch() throws -> Tensor { try Tensor([1.0, 2, 3, 6, 5, 10], shape: [3, 2]) }

    @Test func batchNormUpdatesRunningStatisticsByHand() throws {
        let bn = try BatchNorm1d(2, dtype: .float64)
        let x = try Self.batch()
        let y = try bn(x)
        // running = 0.9 * initial + 0.1 * batch (unbiased variance).
        #expect(try T.maxDifference(#require(bn.runningMean), Tensor([0.3, 0.6])) < 1e-12)
        #expect(try T.maxDifference(#require(bn.runningVar), Tensor([1.3, 2.5])) < 1e-12)
        #expect(try #require(bn.numBatchesTracked).int64s() == [1])
        #expect(try #require(bn.numBatchesTracked).dtype == .int64)
        // Training output uses the batch's biased variance.
        let expected = try Tensor([-2.0, -4, 0, 0, 2, 4], shape: [3, 2])
            / Tensor([8.0 / 3 + 1e-5, 32.0 / 3 + 1e-5]).sqrt()
        #expect(try T.maxDifference(y, expected) < 1e-12)

        // Evaluation normalises with the running statistics and leaves them alone.
        bn.eval()
        let z = try bn(x)
        let byRunning = try (x - Tensor([0.3, 0.6])) / Tensor([1.3 + 1e-5, 2.5 + 1e-5]).sqrt()
        #expect(try T.maxDifference(z, byRunning) < 1e-12)
        #expect(try #require(bn.numBatchesTracked).int64s() == [1])
    }

    @Test func batchNormWithoutMomentumAveragesCumulatively() throws {
        let bn = try BatchNorm1d(2, momentum: nil, dtype: .float64)
        _ = try bn(Self.batch())
        #expect(try #require(bn.runningMean).doubles() == [3, 6])  // factor 1/1
        _ = try bn(Self.batch() * 3)
        #expect(try #require(bn.runningMean).doubles() == [6, 12])  // factor 1/2: (3 + 9) / 2, (6 + 18) / 2
        #expect(try #require(bn.numBatchesTracked).int64s() == [2])
    }

    @Test func batchNorm2dWithoutRunningStatsAlwaysUsesTheBatch() throws {
        let bn = try BatchNorm2d(2, affine: false, trackRunningStats: false, dtype: .float64)
        bn.eval()
        let x = try T.randn([3, 2, 2, 2], seed: 1)
        let mean = try x.mean([0, 2, 3], keepdim: true)
        let variance = try x.variance([0, 2, 3], correction: 0, keepdim: true)
        #expect(try T.maxDifference(bn(x), (x - mean) / (variance + 1e-5).sqrt()) < 1e-12)
    }

    @Test func dropoutRespectsTrainAndEval() throws {
        let dropout = try Dropout(p: 0.5)
        let model = try Sequential(Identity(), dropout)
        let x = try Tensor.ones([1000])
        let trained = try model(x).floats()
        #expect(trained.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(trained.contains(0) && trained.contains(2))
        model.eval()
        #expect(!dropout.isTraining)
        #expect(try model(x).floats() == [Float](repeating: 1, count: 1000))
        #expect(throws: TorchError.self) { try Dropout(p: 1.5) }
    }

    @Test func instanceNormNormalisesEachSampleAndChannel() throws {
        let norm = try InstanceNorm2d(3, dtype: .float64)
        let x = try T.randn([2, 3, 4, 4], seed: 2) * 3 + 1
        let y = try norm(x)
        #expect(try y.mean([2, 3]).abs().max().item() < 1e-12)
        #expect(try (y.variance([2, 3], correction: 0) - 1).abs().max().item() < 1e-4)

        let tracked = try InstanceNorm2d(3, affine: true, trackRunningStats: true, dtype: .float64)
        _ = try tracked(x)
        let batchMean = try x.mean([2, 3]).mean([0])
        #expect(try T.maxDifference(#require(tracked.runningMean), batchMean * 0.1) < 1e-12)
        tracked.eval()
        let byRunning = try (x - #require(tracked.runningMean).reshape([1, 3, 1, 1]))
            / (#require(tracked.runningVar).reshape([1, 3, 1, 1]) + 1e-5).sqrt()
        #expect(try T.maxDifference(tracked(x), byRunning) < 1e-12)
    }

    @Test func layerAndGroupNormMatchTheirFormulas() throws {
        let x = try T.randn([2, 4, 3], seed: 3)
        let layer = try LayerNorm([4, 3], dtype: .float64)
        try withNoGrad { try #require(layer.weight).fill_(2) }
        let mean = try x.mean([1, 2], keepdim: true)
        let variance = try x.variance([1, 2], correction: 0, keepdim: true)
        #expect(try T.maxDifference(layer(x), (x - mean) / (variance + 1e-5).sqrt() * 2) < 1e-12)

        let group = try GroupNorm(2, 4, dtype: .float64)
        let grouped = try x.reshape([2, 2, 6])
        let groupMean = try grouped.mean([2], keepdim: true)
        let groupVar = try grouped.variance([2], correction: 0, keepdim: true)
        let expected = try ((grouped - groupMean) / (groupVar + 1e-5).sqrt()).reshape([2, 4, 3])
        #expect(try T.maxDifference(group(x), expected) < 1e-12)
        #expect(throws: TorchError.self) { try GroupNorm(3, 4) }
    }

    @Test func activations() throws {
        let x = try Tensor([-2.0, -0.5, 0, 1.5])
        #expect(try ReLU()(x).doubles() == [0, 0, 0, 1.5])
        #expect(try LeakyReLU(negativeSlope: 0.1)(x).doubles() == [-0.2, -0.05, 0, 1.5])
        #expect(try PReLU(dtype: .float64)(x).doubles() == [-0.5, -0.125, 0, 1.5])
        #expect(try T.maxDifference(Sigmoid()(x), x.sigmoid()) == 0)
        #expect(try T.maxDifference(Tanh()(x), x.tanh()) == 0)

        let perChannel = try PReLU(numParameters: 2, dtype: .float64)
        try withNoGrad { try perChannel.weight.copy_(Tensor([0.5, 2.0])) }
        let y = try perChannel(Tensor([-1.0, -1, -3, 3], shape: [1, 2, 2]))
        #expect(try y.doubles() == [-0.5, -0.5, -6, 3])
        #expect(throws: TorchError.self) { try perChannel(Tensor.zeros([1, 3, 2])) }
    }

    @Test func flattenAndIdentity() throws {
        let x = try Tensor.zeros([2, 3, 4, 5])
        #expect(try Flatten()(x).shape == [2, 60])
        #expect(try Flatten(startDim: 2)(x).shape == [2, 3, 20])
        #expect(try Identity()(x) === x)
    }

    @Test func convolutionShapesAgreeWithTheirHelpers() throws {
        let conv = try Conv2d(3, 4, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2])
        let x = try Tensor.zeros([2, 3, 9, 7])
        #expect(try conv(x).shape == conv.outputShape(inputShape: x.shape))
        let up = try ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
        let y = try Tensor.zeros([1, 4, 5, 5])
        #expect(try up(y).shape == [1, 6, 10, 10])
        #expect(try up.outputShape(inputShape: y.shape) == [1, 6, 10, 10])
        #expect(throws: TorchError.self) { try ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, outputPadding: 2) }
        #expect(throws: TorchError.self) { try Conv2d(3, 4, kernelSize: 3, groups: 2) }
    }
}
