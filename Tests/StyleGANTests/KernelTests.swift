import Testing
import Torch
@testable import StyleGAN

/// The fast kernels against their plain reference paths, and finite-difference gradients of the ops written here.
@Suite("StyleGAN kernels")
struct KernelTests {
    init() throws { try Runtime.start() }

    @Test(arguments: [(1, 1, (2, 1, 2, 1)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (2, 1, (-1, 0, 0, -1))])
    func upfirdnFastMatchesReference(up: Int, down: Int, pad: (Int, Int, Int, Int)) throws {
        let x = try Tensor.randn([2, 3, 7, 6], generator: Generator(seed: 1))
        let k = try UpFirDn2d.makeKernel([1, 3, 3, 1], gain: Double(up * up))
        let fast = try UpFirDn2d.apply(x, kernel: k, up: up, down: down, pad: pad)
        let reference = try UpFirDn2d.reference(x, kernel: k, up: up, down: down, pad: pad)
        #expect(fast.shape == reference.shape)
        #expect(try (fast - reference).abs().max().item() < 1e-5)
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
    func groupedAndFoldedModulatedConvAgree(upsample: Bool) throws {
        let g = try Generator(seed: 3)
        let conv = try ModulatedConv2d(4, 5, kernelSize: 3, styleDim: 6, upsample: upsample, generator: g)
        let x = try Tensor.randn([3, 4, 8, 8], generator: g)
        let s = try Tensor.randn([3, 6], generator: g)
        let grouped = try conv.grouped(x, style: s)
        let folded = try conv.folded(x, style: s)
        #expect(grouped.shape == [3, 5, upsample ? 16 : 8, upsample ? 16 : 8])
        #expect(try (grouped - folded).abs().max().item() < 1e-4)
        let rgb = try ModulatedConv2d(4, 3, kernelSize: 1, styleDim: 6, demodulate: false, generator: g)
        #expect(try (rgb.grouped(x, style: s) - rgb.folded(x, style: s)).abs().max().item() < 1e-5)
    }

    @Test func modulatedConvChecksItsInputs() throws {
        let conv = try ModulatedConv2d(4, 5, kernelSize: 3, styleDim: 6)
        let error = #expect(throws: TorchError.self) { try conv(Tensor.zeros([1, 3, 8, 8]), style: Tensor.zeros([1, 6])) }
        #expect(error?.message.contains("ModulatedConv2d: expected input [N, 4, H, W], got [1, 3, 8, 8]") == true)
        #expect(throws: TorchError.self) { try conv(Tensor.zeros([2, 4, 8, 8]), style: Tensor.zeros([1, 6])) }
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
        try GradCheck.verify(inputs: [x, s], parameters: conv.namedParameters()) { xs in try conv.folded(xs[0], style: xs[1]) }
        try GradCheck.verify(inputs: [x, s], parameters: conv.namedParameters()) { xs in try conv.grouped(xs[0], style: xs[1]) }
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
