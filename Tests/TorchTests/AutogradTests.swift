import Testing
import Torch

@Suite("Autograd")
struct AutogradTests {
    @Test func backwardAccumulates() throws {
        // f = sum(x^2 * 3) -> df/dx = 6x
        let x = try Tensor([Double(1), 2]).requiresGrad(true)
        #expect(x.requiresGrad && x.isLeaf)
        try (x.pow(2) * 3).sum().backward()
        #expect(try #require(try x.grad).doubles() == [6, 12])
        try (x * 1).sum().backward()
        #expect(try #require(try x.grad).doubles() == [7, 13], "gradients accumulate")
        try x.zeroGrad()
        #expect(try x.grad == nil)
    }

    @Test func backwardWithGradientAndRetainGraph() throws {
        let x = try Tensor([Double(1), 2]).requiresGrad(true)
        let y = try x * x
        try y.backward(Tensor([Double(1), 0.5]), retainGraph: true)
        #expect(try #require(try x.grad).doubles() == [2, 2])
        try y.backward(Tensor([Double(1), 1]))
        #expect(try #require(try x.grad).doubles() == [4, 6])
        #expect(throws: TorchError.self) { try y.backward(Tensor([Double(1), 1])) }
        #expect(throws: TorchError.self) { try Tensor.ones([2]).backward() }
    }

    @Test func nonScalarBackwardNeedsAGradient() throws {
        let x = try Tensor([Double(1), 2]).requiresGrad(true)
        #expect(throws: TorchError.self) { try (x * 2).backward() }
    }

    @Test func gradientsSecondOrder() throws {
        // f = x^3: f' = 3x^2, f'' = 6x.
        let x = try Tensor([Double(2)]).requiresGrad(true)
        let y = try x.pow(3).sum()
        let first = try #require(gradients(of: y, wrt: [x], createGraph: true)[0])
        #expect(try first.doubles() == [12])
        #expect(first.requiresGrad)
        let second = try #require(gradients(of: first.sum(), wrt: [x])[0])
        #expect(try second.doubles() == [12])
        #expect(try x.grad == nil, "torch.autograd.grad does not touch .grad")
    }

    @Test func gradientsWithSeedsAndUnusedInputs() throws {
        let x = try Tensor([Double(1), 2]).requiresGrad(true)
        let unused = try Tensor([Double(5)]).requiresGrad(true)
        let y = try x * 3
        let g = try gradients(of: y, wrt: [x, unused], gradOutput: Tensor([Double(1), 2]), allowUnused: true)
        #expect(try #require(g[0]).doubles() == [3, 6])
        #expect(g[1] == nil)
        #expect(throws: TorchError.self) { try gradients(of: (x * 3).sum(), wrt: [unused]) }
    }

    @Test func retainGradOnIntermediates() throws {
        let x = try Tensor([Double(3)]).requiresGrad(true)
        let y = try x * 2
        try y.retainGrad()
        try (y * y).sum().backward()
        #expect(try #require(try y.grad).doubles() == [12])
        #expect(try #require(try x.grad).doubles() == [24])
    }

    @Test func noGradAndInferenceMode() throws {
        let x = try Tensor([Double(1)]).requiresGrad(true)
        let y = try withNoGrad { try x * 2 }
        #expect(!y.requiresGrad)
        #expect(isGradEnabled)
        let z = try withInferenceMode { try x * 2 }
        #expect(!z.requiresGrad)
        #expect(try withNoGrad { try withGrad { try x * 2 } }.requiresGrad)
        #expect(try x.detach().requiresGrad == false)
    }

    @Test func setDataKeepsIdentity() throws {
        let p = try Tensor([Float(1), 2]).requiresGrad(true)
        try p.setData(Tensor([Double(5), 6, 7]))
        #expect(p.dtype == .float64)
        #expect(try p.doubles() == [5, 6, 7])
        #expect(p.requiresGrad)
    }

    @Test func inPlaceOnALeafThatNeedsGradIsAnError() throws {
        let p = try Tensor([Float(1)]).requiresGrad(true)
        #expect(throws: TorchError.self) { try p.add_(1) }
        try withNoGrad { try p.add_(1) }
        #expect(try p.floats() == [2])
    }
}
