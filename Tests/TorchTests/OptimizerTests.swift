import Foundation
import Testing
import Torch

/// Optimisers on tiny float64 problems whose values are worked out by hand.
@Suite("Optimizers")
struct OptimizerTests {
    /// A trainable float64 tensor.
    static func param(_ values: [Double]) throws -> Tensor { try Tensor(values).requiresGrad(true) }

    static func value(_ t: Tensor) throws -> Double { try t.item() }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

    @Test func sgdMomentumByHand() throws {
        // f(w) = w^2, g = 2w, lr 0.1, momentum 0.9; the buffer starts as the first gradient.
        // step 1: g = 2,    buf = 2,                   w = 1    - 0.1 * 2    = 0.8
        // step 2: g = 1.6,  buf = 0.9 * 2 + 1.6 = 3.4, w = 0.8  - 0.1 * 3.4  = 0.46
        // step 3: g = 0.92, buf = 0.9 * 3.4 + 0.92 = 3.98, w = 0.46 - 0.1 * 3.98 = 0.062
        let w = try Self.param([1])
        let sgd = try SGD([w], lr: 0.1, momentum: 0.9)
        for (expectedW, expectedBuffer) in [(0.8, 2.0), (0.46, 3.4), (0.062, 3.98)] {
            try sgd.zeroGrad()
            try (w * w).sum().backward()
            try sgd.step()
            #expect(Self.close(try Self.value(w), expectedW))
            #expect(Self.close(try Self.value(#require(sgd.momentumBuffer(of: w))), expectedBuffer))
        }
    }

    @Test func sgdNesterovByHand() throws {
        // f(w) = w^2, lr 0.1, momentum 0.9, Nesterov: the step uses g + 0.9 * buf.
        // step 1: g = 2,    buf = 2,    d = 2 + 1.8 = 3.8,           w = 1    - 0.38   = 0.62
        // step 2: g = 1.24, buf = 3.04, d = 1.24 + 2.736 = 3.976,    w = 0.62 - 0.3976 = 0.2224
        let w = try Self.param([1])
        let sgd = try SGD([w], lr: 0.1, momentum: 0.9, nesterov: true)
        for expected in [0.62, 0.2224] {
            try sgd.zeroGrad()
            try (w * w).sum().backward()
            try sgd.step()
            #expect(Self.close(try Self.value(w), expected))
        }
    }

    @Test func sgdDampeningAndWeightDecayByHand() throws {
        // Gradient fixed at 1, lr 0.1, momentum 0.9, dampening 0.5, weight decay 0.1 (L2 into the gradient).
        // step 1: d = 1 + 0.1 * 1 = 1.1,      buf = 1.1 (no dampening on the first step), w = 1 - 0.11 = 0.89
        // step 2: d = 1 + 0.1 * 0.89 = 1.089, buf = 0.9 * 1.1 + 0.5 * 1.089 = 1.5345,   w = 0.89 - 0.15345 = 0.73655
        let w = try Self.param([1])
        let sgd = try SGD([w], lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1)
        try w.setGrad(Tensor([1.0]))
        try sgd.step()
        #expect(Self.close(try Self.value(w), 0.89))
        try sgd.step()
        #expect(Self.close(try Self.value(w), 0.73655))
        #expect(Self.close(try Self.value(#require(sgd.momentumBuffer(of: w))), 1.5345))
    }

    @Test func sgdChecksItsOptions() throws {
        let w = try Self.param([1])
        #expect(throws: TorchError.self) { try SGD([w], lr: 0.1, nesterov: true) }
        #expect(throws: TorchError.self) { try SGD([w], lr: -1) }
        let duplicated = [ParamGroup(params: [w], lr: 0.1, options: SGD.Options()),
                          ParamGroup(params: [w], lr: 0.2, options: SGD.Options())]
        #expect(throws: TorchError.self) { try SGD(groups: duplicated) }
    }

    @Test func adamWDecaysDecoupledWhereAdamAddsL2() throws {
        // Zero gradient, lr 0.1, weight decay 0.5, w = 1.
        // AdamW shrinks the weight by lr * wd and the Adam step on a zero gradient is zero: w = 1 - 0.05 = 0.95.
        // Adam puts wd * w = 0.5 into the gradient, and its first step normalises that to about lr:
        // w = 1 - 0.1 * 0.5 / (0.5 + eps) ~ 0.9.
        let eps = 1e-8
        let a = try Self.param([1])
        let b = try Self.param([1])
        let adam = try Adam([a], lr: 0.1, eps: eps, weightDecay: 0.5)
        let adamW = try AdamW([b], lr: 0.1, eps: eps, weightDecay: 0.5)
        try a.setGrad(Tensor([0.0]))
        try b.setGrad(Tensor([0.0]))
        try adam.step()
        try adamW.step()
        #expect(Self.close(try Self.value(a), 1 - 0.1 * 0.5 / (0.5 + eps)))
        #expect(Self.close(try Self.value(b), 0.95))
        #expect(try AdamW([Self.param([1])]).paramGroups[0].options.weightDecay == 1e-2, "PyTorch's AdamW default")
    }

    @Test func adamAmsgradUsesTheLargestSecondMoment() throws {
        // Gradients 1 then 0, lr 0.1, betas (0.5, 0.5), eps 0.
        // step 1: m = 0.5, v = 0.5; bias-corrected m = 1, sqrt(v / (1 - 0.5)) = 1: w = 1 - 0.1 = 0.9 either way.
        // step 2: m = 0.25, v = 0.25, max v = 0.5. step size 0.1 / 0.75, denominators sqrt(v / 0.75):
        //   plain:   w = 0.9 - 0.1 / 0.75 * 0.25 / sqrt(0.25 / 0.75)
        //   amsgrad: w = 0.9 - 0.1 / 0.75 * 0.25 / sqrt(0.5 / 0.75)
        for amsgrad in [false, true] {
            let w = try Self.param([1])
            let adam = try Adam([w], lr: 0.1, betas: (0.5, 0.5), eps: 0, amsgrad: amsgrad)
            try w.setGrad(Tensor([1.0]))
            try adam.step()
            #expect(Self.close(try Self.value(w), 0.9))
            try w.setGrad(Tensor([0.0]))
            try adam.step()
            let v = amsgrad ? 0.5 : 0.25
            #expect(Self.close(try Self.value(w), 0.9 - 0.1 / 0.75 * 0.25 / (v / 0.75).squareRoot()))
        }
    }

    @Test func radamSwitchesToTheRectifiedStepAtStepSix() throws {
        // Constant gradient g = 2, lr 0.1, betas (0.9, 0.999), eps 0. rho_t = rho_inf - 2t b2^t / (1 - b2^t)
        // stays <= 5 for t <= 5: those steps use the bias-corrected first moment, which is exactly g, so each
        // moves w by lr * g = 0.2. At t = 6 rho_t ~ 5.99 > 5 and the step is lr * rect_6 * sign(g), because
        // sqrt(1 - b2^t) / sqrt(v_t) = 1 / |g| for a constant gradient.
        let w = try Self.param([3])
        let radam = try RAdam([w], lr: 0.1, eps: 0)
        try w.setGrad(Tensor([2.0]))
        for t in 1...5 {
            try radam.step()
            #expect(Self.close(try Self.value(w), 3 - 0.2 * Double(t), 1e-10))
        }
        try radam.step()
        let beta2 = 0.999
        let rhoInf = 2 / (1 - beta2) - 1
        let rho6 = rhoInf - 2 * 6 * pow(beta2, 6) / (1 - pow(beta2, 6))
        let rect = ((rho6 - 4) * (rho6 - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho6)).squareRoot()
        #expect(rho6 > 5)
        #expect(Self.close(try Self.value(w), 2 - 0.1 * rect, 1e-10))
    }

    @Test func lookaheadSlowWeightsAfterKSteps() throws {
        // Inner SGD lr 0.1 with gradient fixed at 1, k = 3, alpha 0.5, w = 1.
        // fast: 0.9, 0.8, 0.7 -> sync: slow = 1 + 0.5 * (0.7 - 1) = 0.85, w = 0.85
        // fast: 0.75, 0.65, 0.55 -> sync: slow = 0.85 + 0.5 * (0.55 - 0.85) = 0.7, w = 0.7
        let w = try Self.param([1])
        let lookahead = try Lookahead(SGD([w], lr: 0.1), k: 3, alpha: 0.5)
        try w.setGrad(Tensor([1.0]))
        let expected = [0.9, 0.8, 0.85, 0.75, 0.65, 0.7]
        let expectedSlow = [1, 1, 0.85, 0.85, 0.85, 0.7]
        for (fast, slow) in zip(expected, expectedSlow) {
            try lookahead.step()
            #expect(Self.close(try Self.value(w), fast))
            #expect(Self.close(try Self.value(#require(lookahead.slowWeights(of: w))), slow))
        }
    }

    @Test func groupsStepAtTheirOwnLearningRates() throws {
        // Gradient 1 everywhere; group lrs 0.1 and 0.01 -> 0.9 and 0.99, then StepLR(step 1, gamma 0.5)
        // halves both: 0.9 - 0.05 = 0.85 and 0.99 - 0.005 = 0.985.
        let a = try Self.param([1])
        let b = try Self.param([1])
        let sgd = try SGD(groups: [ParamGroup(params: [a], lr: 0.1, options: SGD.Options()),
                                   ParamGroup(params: [b], lr: 0.01, options: SGD.Options())])
        try a.setGrad(Tensor([1.0]))
        try b.setGrad(Tensor([1.0]))
        try sgd.step()
        #expect(Self.close(try Self.value(a), 0.9))
        #expect(Self.close(try Self.value(b), 0.99))
        let scheduler = try StepLR(sgd, stepSize: 1, gamma: 0.5)
        scheduler.step()
        #expect(sgd.learningRates == [0.05, 0.005])
        try sgd.step()
        #expect(Self.close(try Self.value(a), 0.85))
        #expect(Self.close(try Self.value(b), 0.985))
    }

    @Test func parametersWithoutGradAreLeftUntouched() throws {
        let makers: [(String, ([Tensor]) throws -> any Optimizer)] = [
            ("SGD", { try SGD($0, lr: 0.1, momentum: 0.9, weightDecay: 0.1) }),
            ("Adam", { try Adam($0, lr: 0.1, weightDecay: 0.1) }),
            ("AdamW", { try AdamW($0, lr: 0.1) }),
            ("RAdam", { try RAdam($0, lr: 0.1, weightDecay: 0.1, decoupledWeightDecay: true) }),
            ("Ranger", { try Ranger($0, lr: 0.1, k: 2, weightDecay: 0.1) }),
            ("Lookahead", { try Lookahead(Adam($0, lr: 0.1), k: 2) }),
        ]
        for (name, make) in makers {
            let trained = try Tensor.ones([2, 3]).requiresGrad(true)
            let frozen = try Tensor.ones([2, 3]).requiresGrad(true)
            let optimizer = try make([trained, frozen])
            for _ in 0..<4 {
                try optimizer.zeroGrad()
                try (trained * trained * Tensor([1.0, 2.0, 3.0]).to(dtype: .float32)).sum().backward()
                try optimizer.step()
            }
            #expect(try frozen.floats() == [Float](repeating: 1, count: 6), "\(name) moved a parameter without grad")
            #expect(try trained.floats() != [Float](repeating: 1, count: 6), "\(name) did not step")
        }
    }

    @Test func zeroGradClearsOrZeroes() throws {
        let w = try Self.param([1, 2])
        let sgd = try SGD([w], lr: 0.1)
        try (w * w).sum().backward()
        try sgd.zeroGrad(setToNone: false)
        #expect(try w.grad?.doubles() == [0, 0])
        try sgd.zeroGrad()
        #expect(try w.grad == nil)
    }

    @Test func rangerCentralisesMatrixGradientsInPlace() throws {
        // As in the original, the gradient of a float32 matrix is centralised (zero mean over each row) by step().
        let w = try Tensor([Float(1), 2, 3, 4], shape: [2, 2]).requiresGrad(true)
        let ranger = try Ranger([w], lr: 0.1)
        try w.setGrad(Tensor([Float(1), 3, 10, 20], shape: [2, 2]))
        try ranger.step()
        #expect(try #require(try w.grad).floats() == [-1, 1, -5, 5])
    }

    @Test func rangerOnFloat64MatchesFloat32() throws {
        // The original computes in float32 and writes back into the parameter's own dtype.
        let start = try Tensor.randn([4, 3], generator: Generator(seed: 7))
        let w32 = try start.clone().requiresGrad(true)
        let w64 = try start.to(dtype: .float64).requiresGrad(true)
        let r32 = try Ranger([w32], lr: 0.05, k: 3, weightDecay: 0.01)
        let r64 = try Ranger([w64], lr: 0.05, k: 3, weightDecay: 0.01)
        for _ in 0..<8 {
            for (w, r) in [(w32, r32), (w64, r64)] {
                try r.zeroGrad()
                try w.pow(3).sum().backward()
                try r.step()
            }
        }
        #expect(w64.dtype == .float64)
        #expect(r64.slowWeights(of: w64)?.dtype == .float64)
        #expect(try w32.to(dtype: .float64).allClose(w64, rtol: 0, atol: 1e-6))
    }
}
