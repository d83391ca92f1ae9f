import Testing
import Torch

/// Values printed by PyTorch 2.13.0 (CPU) for the same seeds and inputs, so initialisation and attention
/// conventions (mask polarity, head averaging, batch-first layout) are pinned to PyTorch's, not to our reading of it.
@Suite struct NNPyTorchParityTests {
    static func expectValues(_ t: Tensor, prefix expected: [Double], tolerance: Double = 1e-7,
                             sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        let values = try t.doubles()
        #expect(values.count >= expected.count, sourceLocation: sourceLocation)
        for (value, reference) in zip(values, expected) {
            #expect(abs(value - reference) <= tolerance, "\(value) vs \(reference)", sourceLocation: sourceLocation)
        }
    }

    /// `torch.manual_seed(s); nn.X(...)` draws from the default generator exactly as `Generator(seed: s)` does here.
    @Test func defaultInitialisationMatchesPyTorchSeeds() throws {
        let linear = try Linear(4, 3, generator: Generator(seed: 1))
        try Self.expectValues(linear.weight, prefix: [0.2576315999031067, -0.22068911790847778, -0.09693074226379395,
                                                      0.23468446731567383])
        try Self.expectValues(#require(linear.bias),
                              prefix: [0.18261408805847168, -0.19485050439834595, -0.03645437955856323])

        let conv = try Conv2d(2, 3, kernelSize: 2, generator: Generator(seed: 2))
        try Self.expectValues(conv.weight, prefix: [0.0811016634106636, -0.08413661271333694, 0.09695447981357574])
        try Self.expectValues(#require(conv.bias),
                              prefix: [-0.03361215442419052, 0.09309690445661545, -0.016971861943602562])

        let transposed = try ConvTranspose2d(2, 3, kernelSize: 2, generator: Generator(seed: 3))
        try Self.expectValues(transposed.weight, prefix: [-0.28621357679367065, -0.22772462666034698,
                                                          -0.1236438974738121])
        try Self.expectValues(#require(transposed.bias), prefix: [-0.18424563109874725, -0.18029773235321045,
                                                                   -0.11965890228748322])

        let mha = try MultiheadAttention(embedDim: 4, numHeads: 2, generator: Generator(seed: 4))
        try Self.expectValues(#require(mha.inProjWeight), prefix: [0.026979956775903702, -0.21954487264156342,
                                                                    0.13151110708713531])
        try Self.expectValues(mha.outProj.weight, prefix: [0.0596386194229126, 0.05909240245819092,
                                                           -0.4085431694984436])
        #expect(try #require(mha.inProjBias).abs().sum().item() == 0)
        #expect(try #require(mha.outProj.bias).abs().sum().item() == 0)
    }

    /// MultiheadAttention(4, 2, kdim=3, vdim=2, batch_first=True), float64, state-dict entry i filled with
    /// sin(0.37 * arange(numel) + i), in eval mode, with a key padding mask and a boolean attention mask.
    @Test func multiheadAttentionMatchesPyTorch() throws {
        let mha = try MultiheadAttention(embedDim: 4, numHeads: 2, kdim: 3, vdim: 2, batchFirst: true, dtype: .float64)
        mha.eval()
        var values: [String: Tensor] = [:]
        for (i, entry) in try mha.stateDict().enumerated() {
            let n = entry.tensor.count
            values[entry.name] = try (Tensor.arange(0, Double(n), dtype: .float64) * 0.37 + Double(i)).sin()
                .reshape(entry.tensor.shape)
        }
        try mha.load(stateDict: values)
        let q = try (Tensor.arange(0, 16, dtype: .float64) * 0.3).cos().reshape([2, 2, 4])
        let k = try (Tensor.arange(0, 18, dtype: .float64) * 0.7).sin().reshape([2, 3, 3])
        let v = try (Tensor.arange(0, 12, dtype: .float64) * 0.9 + 1).cos().reshape([2, 3, 2])
        let padding = try Tensor([false, false, true, false, false, false], shape: [2, 3])
        let forbidden = try Tensor([false, true, false, false, false, false], shape: [2, 3])
        let (output, weights) = try mha(q, k, v, keyPaddingMask: padding, attnMask: forbidden)
        #expect(output.shape == [2, 2, 4])
        try Self.expectValues(output, prefix: [
            -2.098568638096645, -0.7187931611591617, 0.6359555985444851, -0.03592610110154973,
            -2.084429254388606, 0.3189556704207027, 0.8100049595270169, -1.042112256086893,
            -1.9888626302855696, 0.5715751674904003, 0.760249175765314, -1.3037546286369281,
            -1.9579367607076978, 0.5532310857993189, 0.7259967308149688, -1.291621996596891,
        ], tolerance: 1e-12)
        try Self.expectValues(#require(weights), prefix: [
            1.0, 0.0, 0.0, 0.5145383939342002, 0.48546160606579974, 0.0,
            0.000269350542666132, 0.0, 0.9997306494573339, 0.015432796752274469, 0.028564907817379394,
            0.9560022954303461,
        ], tolerance: 1e-12)
    }
}
