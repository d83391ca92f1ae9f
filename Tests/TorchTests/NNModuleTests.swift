import Testing
import Torch

/// A rosinality-style block: registered names are the Python attribute names.
private final class ToyStyledConv: Module, Layer {
    let conv: Conv2d
    let noise: Tensor

    init(_ channels: Int) throws {
        conv = try Conv2d(channels, channels, kernelSize: 3, padding: 1)
        noise = try Tensor.zeros([1])
        super.init()
        try register(module: "conv", conv)
        try register(parameter: "noise_strength", noise)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) + noise }
}

private final class ToyGenerator: Module {
    let convs: ModuleList<ToyStyledConv>
    let toRGB: Conv2d
    let kernel: Tensor
    let cache: Tensor

    init(channels: Int) throws {
        convs = try ModuleList([ToyStyledConv(channels), ToyStyledConv(channels)])
        toRGB = try Conv2d(channels, 3, kernelSize: 1, bias: false)
        kernel = try Tensor([1.0, 2.0, 1.0])
        cache = try Tensor.zeros([2])
        super.init()
        try register(buffer: "kernel", kernel)
        try register(buffer: "cache", cache, persistent: false)
        try register(module: "convs", convs)
        try register(module: "to_rgb", toRGB)
    }
}

@Suite struct NNModuleTests {
    typealias T = NNTest

    @Test func sequentialKeysMatchPyTorch() throws {
        let model = try Sequential(Conv2d(3, 4, kernelSize: 3), BatchNorm2d(4))
        #expect(try model.stateDict().names == [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        ])
        #expect(T.names(model.namedParameters()) == ["0.weight", "0.bias", "1.weight", "1.bias"])
        #expect(T.names(model.namedBuffers()) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"])
    }

    @Test func nestedKeysFollowRegistrationNames() throws {
        let g = try ToyGenerator(channels: 2)
        // Own parameters and buffers come before the children's, whatever the registration order, as in PyTorch.
        #expect(try g.stateDict().names == [
            "kernel",
            "convs.0.noise_strength", "convs.0.conv.weight", "convs.0.conv.bias",
            "convs.1.noise_strength", "convs.1.conv.weight", "convs.1.conv.bias",
            "to_rgb.weight",
        ])
        #expect(T.names(g.namedBuffers()) == ["kernel", "cache"])
        #expect(g.namedModules().map(\.name) == ["", "convs", "convs.0", "convs.0.conv", "convs.1", "convs.1.conv",
                                                  "to_rgb"])
        #expect(g.convs[1].conv === g.children()[0].children()[1].children()[0])
        #expect(g.namedChildren().map(\.name) == ["convs", "to_rgb"])
    }

    @Test func multiheadAttentionKeys() throws {
        let packed = try MultiheadAttention(embedDim: 8, numHeads: 2)
        #expect(try packed.stateDict().names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        let separate = try MultiheadAttention(embedDim: 8, numHeads: 2, kdim: 5, vdim: 3)
        #expect(try separate.stateDict().names == [
            "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
        ])
        #expect(separate.kProjWeight?.shape == [8, 5] && separate.vProjWeight?.shape == [8, 3])
        let noBias = try MultiheadAttention(embedDim: 8, numHeads: 2, bias: false)
        #expect(try noBias.stateDict().names == ["in_proj_weight", "out_proj.weight"])
    }

    @Test func optionalParametersAreNotRegistered() throws {
        #expect(try Linear(3, 2, bias: false).stateDict().names == ["weight"])
        #expect(try BatchNorm1d(3, affine: false, trackRunningStats: false).stateDict().names.isEmpty)
        #expect(try InstanceNorm2d(3).stateDict().names.isEmpty)
        #expect(try InstanceNorm2d(3, affine: true, trackRunningStats: true).stateDict().names == [
            "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
        ])
        #expect(try LayerNorm([4], bias: false).stateDict().names == ["weight"])
        #expect(try PReLU(numParameters: 3).stateDict().names == ["weight"])
    }

    @Test func strictLoadReportsEveryBadKeyAtOnce() throws {
        let model = try Sequential(Linear(3, 2), Linear(2, 4))
        let before = try model.stateDict()
        var values = try model.stateDict().dictionary
        values["0.bias"] = nil  // missing
        values["1.bias"] = nil  // missing
        values["extra.weight"] = try Tensor.zeros([1])  // unexpected
        values["1.weight"] = try Tensor.zeros([4, 3])  // shape mismatch
        values["0.weight"] = try Tensor.ones([2, 3])  // fine, but must not be copied while others fail
        do {
            try model.load(stateDict: values)
            Issue.record("load should have failed")
        } catch let error as StateDictError {
            #expect(error.missingKeys == ["0.bias", "1.bias"])
            #expect(error.unexpectedKeys == ["extra.weight"])
            #expect(error.shapeMismatches == [.init(key: "1.weight", expected: [4, 2], found: [4, 3])])
            for key in ["0.bias", "1.bias", "extra.weight", "1.weight", "[4, 2]", "[4, 3]", "Sequential"] {
                #expect(error.description.contains(key), "\(key) not in \(error)")
            }
        }
        #expect(try T.maxDifference(model[0].parameters()[0], #require(before["0.weight"])) == 0)
    }

    @Test func nonStrictLoadSkipsKeysButNotShapes() throws {
        let model = try Sequential(Linear(3, 2), Linear(2, 4))
        var values = try model.stateDict().dictionary
        values["0.bias"] = nil
        values["extra"] = try Tensor.zeros([1])
        values["0.weight"] = try Tensor.ones([2, 3])
        let skipped = try model.load(stateDict: values, strict: false)
        #expect(skipped == IncompatibleKeys(missingKeys: ["0.bias"], unexpectedKeys: ["extra"]))
        #expect(try model[0].parameters()[0].doubles() == [Double](repeating: 1, count: 6))

        values["1.weight"] = try Tensor.zeros([2])
        #expect(throws: StateDictError.self) { try model.load(stateDict: values, strict: false) }
    }

    @Test func loadCopiesInPlaceKeepingIdentityAndDtype() throws {
        let linear = try Linear(2, 2)
        let weight = linear.weight
        let values: [String: Tensor] = [
            "weight": try Tensor([1.0, 2.0, 3.0, 4.0], shape: [2, 2]),
            "bias": try Tensor([5.0, 6.0]),
        ]
        try linear.load(stateDict: values)
        #expect(linear.weight === weight && linear.parameters()[0] === weight)
        #expect(weight.dtype == .float32 && weight.requiresGrad)
        #expect(try weight.floats() == [1, 2, 3, 4])
        #expect(try linear.bias?.floats() == [5, 6])
        // The state dict shares storage with the module, as PyTorch's does.
        let state = try linear.stateDict()
        try withNoGrad { try linear.weight.fill_(7) }
        #expect(try state["weight"]?.floats() == [7, 7, 7, 7])
    }

    @Test func batchNormLoadsCheckpointsWithoutBatchCount() throws {
        let bn = try BatchNorm2d(2)
        var values = try BatchNorm2d(2).stateDict().dictionary
        values["num_batches_tracked"] = nil
        values["running_mean"] = try Tensor([Float(1), 2])
        try bn.load(stateDict: values)
        #expect(try bn.runningMean?.floats() == [1, 2])
    }

    @Test func registrationRejectsBadNames() throws {
        let m = Module()
        try m.register(parameter: "w", Tensor.zeros([1]))
        #expect(throws: TorchError.self) { try m.register(buffer: "w", Tensor.zeros([1])) }
        #expect(throws: TorchError.self) { try m.register(module: "a.b", Identity()) }
        #expect(throws: TorchError.self) { try m.register(parameter: "i", Tensor.zeros([1], dtype: .int64)) }
        let leaf = try Tensor.ones([2]).requiresGrad(true)
        #expect(throws: TorchError.self) { try m.register(parameter: "derived", leaf * 2) }
        #expect(m.parameters()[0].requiresGrad)
    }

    @Test func sharedParametersAreCountedOnce() throws {
        let shared = try Linear(4, 4)
        let outer = Module()
        try outer.register(module: "a", shared)
        try outer.register(module: "b", shared)
        #expect(T.names(outer.namedParameters()) == ["a.weight", "a.bias"])
        #expect(outer.parameterCount == 20)
        #expect(try outer.stateDict().names == ["a.weight", "a.bias", "b.weight", "b.bias"])
    }

    @Test func parameterCountsByHand() throws {
        #expect(try Conv2d(3, 64, kernelSize: 3).parameterCount == 64 * 3 * 3 * 3 + 64)  // 1792
        #expect(try Conv2d(3, 64, kernelSize: 3).parameterCount == 1792)
        #expect(try Linear(10, 5).parameterCount == 55)
        #expect(try ConvTranspose2d(4, 8, kernelSize: 3, groups: 2).parameterCount == 4 * 4 * 9 + 8)
        #expect(try BatchNorm2d(8).parameterCount == 16)
        #expect(try GroupNorm(2, 6).parameterCount == 12)
        #expect(try LayerNorm([3, 4]).parameterCount == 24)
        // in_proj 3E * E + 3E, out_proj E * E + E with E = 8.
        #expect(try MultiheadAttention(embedDim: 8, numHeads: 2).parameterCount == 192 + 24 + 64 + 8)
        #expect(try Sequential(Linear(10, 5), ReLU(), Linear(5, 1)).parameterCount == 61)
    }

    @Test func flopsByHand() throws {
        // Each of the 64 * 8 * 8 outputs takes 3 * 3 * 3 multiply-adds.
        #expect(try Conv2d(3, 64, kernelSize: 3, padding: 1).flops(inputShape: [1, 3, 8, 8]) == 2 * 64 * 64 * 27)
        // Groups of 2 input channels, stride 2: output [2, 4, 4, 4].
        let grouped = try Conv2d(4, 4, kernelSize: 3, stride: 2, padding: 1, groups: 2)
        #expect(try grouped.outputShape(inputShape: [2, 4, 8, 8]) == [2, 4, 4, 4])
        #expect(try grouped.flops(inputShape: [2, 4, 8, 8]) == 2 * (2 * 4 * 4 * 4) * (2 * 9))
        #expect(try Linear(10, 5).flops(inputShape: [4, 10]) == 2 * 4 * 50)
        // Each of the 2 * 3 * 3 input elements feeds 4 * 2 * 2 outputs.
        #expect(try ConvTranspose2d(2, 4, kernelSize: 2, stride: 2).flops(inputShape: [1, 2, 3, 3]) == 2 * 18 * 16)
        #expect(throws: TorchError.self) { try Linear(10, 5).flops(inputShape: [4, 9]) }
    }

    @Test func shapeErrorsNameTheModuleAndLayout() throws {
        let conv = try Conv2d(64, 8, kernelSize: 3)
        #expect(throws: TorchError("Conv2d: expected input [N, 64, H, W], got [1, 3, 8, 8]")) {
            try conv(Tensor.zeros([1, 3, 8, 8]))
        }
        #expect(throws: TorchError("Linear: expected input [..., 4], got [2, 3]")) {
            try Linear(4, 2)(Tensor.zeros([2, 3]))
        }
        #expect(throws: TorchError("BatchNorm1d: expected input [N, 3] or [N, 3, L], got [2, 3, 4, 5]")) {
            try BatchNorm1d(3)(Tensor.zeros([2, 3, 4, 5]))
        }
    }

    @Test func trainAndEvalAreRecursive() throws {
        let g = try ToyGenerator(channels: 2)
        #expect(g.modules().allSatisfy { $0.isTraining })
        g.eval()
        #expect(g.modules().allSatisfy { !$0.isTraining })
        g.train()
        #expect(g.convs[1].conv.isTraining)
    }

    @Test func dtypeMovesKeepIdentityAndSkipIntegers() throws {
        let model = try Sequential(Linear(3, 2), BatchNorm1d(2))
        let weight = try #require(model.parameters().first)
        try (model(Tensor.ones([4, 3])).sum()).backward()
        try model.to(dtype: .float64)
        #expect(model.parameters().first === weight)
        #expect(model.parameters().allSatisfy { $0.dtype == .float64 })
        #expect(model.buffers().map(\.dtype) == [.float64, .float64, .int64])
        #expect(try weight.grad?.dtype == .float64)
        #expect(weight.requiresGrad)
        _ = try model(Tensor.ones([4, 3], dtype: .float64))
        #expect(throws: TorchError.self) { try model.to(dtype: .int32) }
    }

    @Test func freezeAndZeroGrad() throws {
        let linear = try Linear(3, 1)
        try linear(Tensor.ones([2, 3])).sum().backward()
        #expect(try linear.weight.grad != nil)
        try linear.zeroGrad()
        #expect(try linear.parameters().allSatisfy { try $0.grad == nil })
        try linear.freeze()
        #expect(linear.parameters().allSatisfy { !$0.requiresGrad })
        try linear.requiresGrad(true)
        #expect(linear.parameters().allSatisfy { $0.requiresGrad })
    }

    @Test func defaultInitialisationBoundsAndSeeds() throws {
        // kaiming uniform with a = sqrt(5) and the bias both give U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        let linear = try Linear(16, 32, generator: Generator(seed: 1))
        #expect(try linear.weight.abs().max().item() <= 0.25)
        #expect(try linear.weight.abs().max().item() > 0.2)
        #expect(try #require(linear.bias).abs().max().item() <= 0.25)
        let conv = try Conv2d(2, 8, kernelSize: 3, generator: Generator(seed: 1))  // fan_in 18
        #expect(try conv.weight.abs().max().item() <= 1 / 18.0.squareRoot())
        #expect(try conv.weight.abs().max().item() > 1 / 72.0.squareRoot())
        // PyTorch takes a transposed convolution's fan-in from weight dim 1: out * k * k = 72.
        let transposed = try ConvTranspose2d(2, 8, kernelSize: 3, generator: Generator(seed: 1))
        #expect(try transposed.weight.abs().max().item() <= 1 / 72.0.squareRoot())
        #expect(try transposed.weight.abs().max().item() > 0.1)

        let again = try Linear(16, 32, generator: Generator(seed: 1))
        let other = try Linear(16, 32, generator: Generator(seed: 2))
        #expect(try T.maxDifference(linear.weight, again.weight) == 0)
        #expect(try T.maxDifference(linear.weight, other.weight) > 0)
    }

    @Test func containersGiveTypedIndexedAccess() throws {
        let list = try ModuleList([Linear(2, 3), Linear(3, 4)])
        try list.append(Linear(4, 1))
        #expect(list.count == 3 && list[2].outFeatures == 1)
        #expect(try list.stateDict().names.first == "0.weight")
        #expect(list.map(\.inFeatures) == [2, 3, 4])

        let seq = try Sequential(list[0], Tanh(), list[1], Flatten(), Identity())
        let x = try NNTest.randn([5, 2], seed: 3).to(dtype: .float32)
        #expect(try T.maxDifference(seq(x), list[1](list[0](x).tanh())) == 0)
        #expect(seq.count == 5 && seq[1] is Tanh)
        #expect(T.names(seq.namedParameters()) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }
}
