import Testing
import Torch
@testable import StyleGAN

/// The fast kernels against their plain reference paths, and finite-difference gradients of the ops written here.
@Suite("StyleGAN kernels")
struct KernelTests {
    init() throws { try Runtime.start() }

    @Test(arguments: [(1, 1, (2, 1, 2, 1)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (2, 1, (-1, 0, 0, -1)),
                      (1, 1, (1, 1, 1, 1)), (2, 2, (1, 2, 0, 3)), (2, 1, (1, 1, 1, 1)), (3, 1, (2, 2, 2, 2))])
    func upfirdnFastMatchesReference(up: Int, down: Int, pad: (Int, Int, Int, Int)) throws {
        let g = try Generator(seed: 1)
        let x = try Tensor.randn([2, 3, 7, 6], generator: g)
        let k = try UpFirDn2d.makeKernel([1, 3, 3, 1], gain: Double(up * up))
        let bias = try Tensor.randn([3], generator: g)
        let reference = try UpFirDn2d.reference(x, kernel: k, up: up, down: down, pad: pad)
        // Both memory layouts, with and without the fused bias.
        for input in [x, try x.channelsLast()] {
            let fast = try UpFirDn2d.apply(input, kernel: k, up: up, down: down, pad: pad)
            #expect(fast.shape == reference.shape)
            #expect(try (fast - reference).abs().max().item() < 1e-5)
            let biased = try UpFirDn2d.apply(input, kernel: k, up: up, down: down, pad: pad, bias: bias)
            #expect(try (biased - reference - bias.view([1, 3, 1, 1])).abs().max().item() < 1e-5)
        }
    }

    @Test func asymmetricKernelIsConvolvedNotCorrelated() throws {
        // A one-hot input reproduces the (unflipped) kernel: convolution, as the reference defines it.
        let x = try Tensor.zeros([1, 1, 3, 3])
        try x.select(2, 1).select(2, 1).fill_(1)
        let k = try Tensor([Float(1), 2, 3, 4], shape: [2, 2])
        let y = try UpFirDn2d.apply(x, kernel: k, pad: (1, 0, 1, 0))
        #expect(try y.floats() == [0, 0, 0, 0, 1, 2, 0, 3, 4])
        #expect(try UpFirDn2d.reference(x, kernel: k, pad: (1, 0, 1, 0)).floats() == (try y.floats()))
    }

    @Test func makeKernelIsNormalised() throws {
        let k = try UpFirDn2d.makeKernel([1, 3, 3, 1], gain: 4)
        #expect(abs(try k.sum().item() - 4) < 1e-6)
        #expect(abs(try k.floats()[0] - 4.0 / 64) < 1e-7)
    }

    @Test(arguments: [false, true])
    func fusedModulatedConvFormsMatchReference(upsample: Bool) throws {
        let g = try Generator(seed: 3)
        let conv = try ModulatedConv2d(4, 5, kernelSize: 3, styleDim: 6, upsample: upsample, generator: g)
        let rgb = try ModulatedConv2d(4, 3, kernelSize: 1, styleDim: 6, demodulate: false, generator: g)
        let s = try Tensor.randn([3, 6], generator: g)
        let bias = try Tensor.randn([5], generator: g)
        let forms: [ModulatedConv2d.Form] = [.automatic, .sampleWeights, .scaledActivations]
        for batch in [1, 3] {
            let x = try Tensor.randn([batch, 4, 8, 8], generator: g)
            let style = try s.slice(0, 0, batch)
            let reference = try conv.reference(x, style: style)
            #expect(reference.shape == [batch, 5, upsample ? 16 : 8, upsample ? 16 : 8])
            let expected = try reference * 1.5 + bias.view([1, 5, 1, 1])
            for form in forms {
                for input in [x, try x.channelsLast()] {
                    let fused = try conv(input, style: style, gain: 1.5, bias: bias, form: form)
                    #expect(try (fused - expected).abs().max().item() < 1e-4, "\(form), batch \(batch)")
                    let plain = try rgb(input, style: style, form: form)
                    #expect(try (plain - rgb.reference(x, style: style)).abs().max().item() < 1e-5, "\(form)")
                }
            }
        }
    }

    @Test func styledConvIsTheReferenceLayer() throws {
        // leaky_relu(conv + strength * noise + bias) * sqrt 2, clamped, as the reference writes it.
        let g = try Generator(seed: 7)
        for clamp in [nil, 0.5] as [Double?] {
            let layer = try StyledConv(4, 5, kernelSize: 3, styleDim: 6, upsample: true, blurKernel: [1, 3, 3, 1],
                                       clamp: clamp, generator: g)
            try withNoGrad {
                try layer.noise.weight.fill_(0.3)
                try layer.activate.bias.copy_(Tensor.randn([5], generator: g))
            }
            let x = try Tensor.randn([2, 4, 8, 8], generator: g)
            let s = try Tensor.randn([2, 6], generator: g)
            let noise = try Tensor.randn([2, 1, 16, 16], generator: g)
            var expected = try fusedLeakyReLU(layer.conv.reference(x, style: s) + noise * 0.3, bias: layer.activate.bias)
            if let clamp { expected = try expected.clamp(min: -clamp, max: clamp) }
            #expect(try (layer(x, style: s, noise: noise) - expected).abs().max().item() < 1e-4)
        }
    }

    @Test func modulatedConvChecksItsInputs() throws {
        let conv = try ModulatedConv2d(4, 5, kernelSize: 3, styleDim: 6)
        let error = #expect(throws: TorchError.self) { try conv(Tensor.zeros([1, 3, 8, 8]), style: Tensor.zeros([1, 6])) }
        #expect(error?.message.contains("ModulatedConv2d: expected input [N, 4, H, W], got [1, 3, 8, 8]") == true)
        #expect(throws: TorchError.self) { try conv(Tensor.zeros([2, 4, 8, 8]), style: Tensor.zeros([1, 6])) }
    }

    /// R1 and path length differentiate every blur twice; the op's backward is itself, so its second-order
    /// gradients are checked against the plain definition's (native ops) and by finite differences of the first.
    @Test(arguments: [(1, 1, (1, 1, 1, 1)), (1, 1, (2, 2, 2, 2)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)),
                      (2, 1, (-1, 0, 0, -1)), (1, 2, (2, 0, 1, 2)), (2, 2, (1, 2, 2, 1))])
    func secondOrderGradientsOfUpfirdn(up: Int, down: Int, pad: (Int, Int, Int, Int)) throws {
        // An asymmetric filter, so a missing flip in the backward shows.
        let k = try Tensor([1.0, 2, 0.5, 3, -1, 4, 2, 1, 0.25]).view([3, 3]).to(dtype: .float64)
        let x = try Tensor.randn([2, 3, 5, 6], dtype: .float64, generator: Generator(seed: 5))
        let weights = try Tensor.randn(try UpFirDn2d.reference(x, kernel: k, up: up, down: down, pad: pad).shape,
                                       dtype: .float64, generator: Generator(seed: 6))
        // The gradient of sum(weights * tanh(upfirdn(x))) with respect to x, with its graph.
        func firstGradient(_ x: Tensor, fast: Bool) throws -> Tensor {
            let y = fast ? try UpFirDn2d.apply(x, kernel: k, up: up, down: down, pad: pad)
                : try UpFirDn2d.reference(x, kernel: k, up: up, down: down, pad: pad)
            return try gradients(of: (y.tanh() * weights).sum(), wrt: [x], createGraph: true)[0]!
        }
        func secondGradient(fast: Bool) throws -> (Tensor, Tensor) {
            let leaf = try x.clone().requiresGrad(true)
            let g = try firstGradient(leaf, fast: fast)
            return (try g.detach(), try gradients(of: g.square().sum(), wrt: [leaf])[0]!)
        }
        let (fastFirst, fastSecond) = try secondGradient(fast: true)
        let (plainFirst, plainSecond) = try secondGradient(fast: false)
        #expect(try (fastFirst - plainFirst).abs().max().item() < 1e-12)
        #expect(try (fastSecond - plainSecond).abs().max().item() < 1e-10)
        try GradCheck.verify(inputs: [try x.slice(0, 0, 1)]) { xs in try firstGradient(xs[0], fast: true) }
    }

    @Test func gradientsOfUpfirdn() throws {
        let x = try Tensor.randn([1, 2, 4, 4], dtype: .float64, generator: Generator(seed: 4))
        let k = try UpFirDn2d.makeKernel([1, 3, 3, 1], gain: 4).to(dtype: .float64)
        try GradCheck.verify(inputs: [x]) { xs in try UpFirDn2d.apply(xs[0], kernel: k, up: 2, pad: (2, 1, 2, 1)) }
        try GradCheck.verify(inputs: [x]) { xs in try UpFirDn2d.apply(xs[0], kernel: k, down: 2, pad: (1, 1, 1, 1)) }
    }

    @Test(arguments: [false, true])
    func gradientsOfModulatedConv(upsample: Bool) throws {
        let g = try Generator(seed: 5)
        let conv = try ModulatedConv2d(3, 2, kernelSize: 3, styleDim: 4, upsample: upsample, generator: g)
            .to(dtype: .float64)
        let x = try Tensor.randn([2, 3, 4, 4], dtype: .float64, generator: g)
        let s = try Tensor.randn([2, 4], dtype: .float64, generator: g)
        let bias = try Tensor.randn([2], dtype: .float64, generator: g)
        try GradCheck.verify(inputs: [x, s], parameters: conv.namedParameters()) { xs in try conv.reference(xs[0], style: xs[1]) }
        for form in [ModulatedConv2d.Form.sampleWeights, .scaledActivations] {
            try GradCheck.verify(inputs: [x, s, bias], parameters: conv.namedParameters()) { xs in
                try conv(xs[0], style: xs[1], gain: 1.3, bias: xs[2], form: form)
            }
        }
    }

    @Test func gradientsOfStyledConvThroughItsInPlaceOps() throws {
        let g = try Generator(seed: 8)
        let layer = try StyledConv(3, 2, kernelSize: 3, styleDim: 4, blurKernel: [1, 3, 3, 1], clamp: 1, generator: g)
            .to(dtype: .float64)
        try withNoGrad { try layer.noise.weight.fill_(0.2) }
        let x = try Tensor.randn([2, 3, 4, 4], dtype: .float64, generator: g)
        let s = try Tensor.randn([2, 4], dtype: .float64, generator: g)
        let noise = try Tensor.randn([1, 1, 4, 4], dtype: .float64, generator: g)
        try GradCheck.verify(inputs: [x, s, noise], parameters: layer.namedParameters()) { xs in
            try layer(xs[0], style: xs[1], noise: xs[2])
        }
        let rgb = try ToRGB(2, styleDim: 4, blurKernel: [1, 3, 3, 1], clamp: 0.5, generator: g).to(dtype: .float64)
        let skip = try Tensor.randn([2, 3, 2, 2], dtype: .float64, generator: g)
        try GradCheck.verify(inputs: [x.slice(1, 0, 2), s, skip], parameters: rgb.namedParameters()) { xs in
            try rgb(xs[0], style: xs[1], skip: xs[2])
        }
    }

    @Test func gradientsOfFusedLeakyReLUAndEqualLinear() throws {
        let g = try Generator(seed: 6)
        let x = try Tensor.randn([3, 4], dtype: .float64, generator: g)
        let b = try Tensor.randn([4], dtype: .float64, generator: g)
        try GradCheck.verify(inputs: [x, b]) { xs in try fusedLeakyReLU(xs[0], bias: xs[1]) }
        let linear = try EqualLinear(4, 5, lrMul: 0.01, activated: true, generator: g).to(dtype: .float64)
        try GradCheck.verify(inputs: [x], parameters: linear.namedParameters()) { xs in try linear(xs[0]) }
    }

    @Test func fusedLeakyReLUByHand() throws {
        let y = try fusedLeakyReLU(Tensor([Double(-1), 1], shape: [1, 2]), bias: Tensor([Double(0), 1]))
        let gain = (2.0).squareRoot()
        #expect(try y.doubles() == [-0.2 * gain, 2 * gain])
    }
}
