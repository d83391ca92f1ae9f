import Testing
import Torch

/// Optimiser state dicts: PyTorch's layout, and a run resumed from a saved state continuing bitwise as the
/// uninterrupted run.
@Suite("Optimizer state")
struct OptimStateTests {
    /// An optimiser over two groups ([w] and [b, c]); `variant` gives other settings, which loading must replace.
    struct Maker: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable (_ params: [Tensor], _ variant: Bool) throws -> any Optimizer
        var testDescription: String { name }
    }

    static func groups<O>(_ params: [Tensor], _ lrs: (Double, Double), _ options: (O, O)) -> [ParamGroup<O>] {
        [ParamGroup(params: [params[0]], lr: lrs.0, options: options.0),
         ParamGroup(params: Array(params[1...]), lr: lrs.1, options: options.1)]
    }

    static let makers: [Maker] = [
        Maker(name: "SGD") { p, variant in
            try SGD(groups: groups(p, variant ? (0.7, 0.7) : (0.1, 0.05),
                                   (SGD.Options(momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
                                    SGD.Options(momentum: variant ? 0.5 : 0.8, nesterov: true))))
        },
        Maker(name: "Adam") { p, variant in
            try Adam(groups: groups(p, variant ? (1, 1) : (0.01, 0.02),
                                    (Adam.Options(), Adam.Options(weightDecay: variant ? 0 : 0.1, amsgrad: true))))
        },
        Maker(name: "AdamW") { p, variant in
            try AdamW(groups: groups(p, (0.01, variant ? 0.5 : 0.03),
                                     (Adam.Options(weightDecay: 0.01), Adam.Options(betas: (0.8, 0.99)))))
        },
        Maker(name: "RAdam") { p, variant in
            try RAdam(groups: groups(p, (variant ? 0.3 : 0.01, 0.02),
                                     (RAdam.Options(), RAdam.Options(weightDecay: 0.1, decoupledWeightDecay: true))))
        },
        Maker(name: "Ranger") { p, variant in
            try Ranger(groups: groups(p, (0.01, 0.02), (Ranger.Options(k: variant ? 2 : 4),
                                                        Ranger.Options(k: 3, weightDecay: 0.1))),
                       betas: variant ? (0.9, 0.99) : (0.95, 0.999))
        },
        Maker(name: "Lookahead(Adam)") { p, variant in
            try Lookahead(Adam(groups: groups(p, (0.01, 0.02), (Adam.Options(), Adam.Options()))),
                          k: variant ? 2 : 3, alpha: variant ? 0.8 : 0.5)
        },
        Maker(name: "Lookahead(SGD)") { p, variant in
            // Plain SGD keeps no state of its own: the state dict holds only Lookahead's entries.
            try Lookahead(SGD(groups: groups(p, (0.1, 0.2), (SGD.Options(), SGD.Options()))), k: variant ? 4 : 3)
        },
    ]

    /// w [3, 4], b [4], c [2].
    static func parameters() throws -> [Tensor] {
        let g = try Generator(seed: 7)
        return try [[3, 4], [4], [2]].map { try Tensor.randn($0, generator: g).requiresGrad(true) }
    }

    /// Steps `range` with gradients 0.5 * param + noise seeded by the step; c has a gradient on even steps only,
    /// so parameters step different numbers of times.
    static func run(_ optimizer: any Optimizer, _ params: [Tensor], steps range: Range<Int>) throws {
        for t in range {
            let g = try Generator(seed: UInt64(100 + t))
            for (i, p) in params.enumerated() {
                let noise = try Tensor.randn(p.shape, generator: g)
                try p.setGrad(i == 2 && t % 2 == 1 ? nil : p.detach() * 0.5 + noise)
            }
            try optimizer.step()
        }
    }

    @Test(arguments: makers)
    func resumedRunContinuesBitwise(maker: Maker) throws {
        let reference = try Self.parameters()
        let uninterrupted = try maker.make(reference, false)
        try Self.run(uninterrupted, reference, steps: 0..<11)

        let params = try Self.parameters()
        let interrupted = try maker.make(params, false)
        try Self.run(interrupted, params, steps: 0..<5)
        let saved = try interrupted.stateDict()
        let savedParams = try params.map { try $0.detach().clone().requiresGrad(true) }
        try Self.run(interrupted, params, steps: 5..<7)  // the saved state must not move with the optimiser

        let resumed = try maker.make(savedParams, true)
        try resumed.loadStateDict(saved)
        try Self.run(resumed, savedParams, steps: 5..<11)
        for (a, b) in zip(reference, savedParams) {
            #expect(try a.bytes() == b.bytes())
        }
        expectSame(try uninterrupted.stateDict(), try resumed.stateDict())
    }

    @Test(arguments: [
        ("Adam", ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
                  "differentiable", "fused", "decoupled_weight_decay", "params"], ["step", "exp_avg", "exp_avg_sq"]),
        ("SGD", ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach", "differentiable",
                 "fused", "params"], ["momentum_buffer"]),
        ("RAdam", ["lr", "betas", "eps", "weight_decay", "maximize", "foreach", "capturable",
                   "decoupled_weight_decay", "differentiable", "params"], ["step", "exp_avg", "exp_avg_sq"]),
        ("Ranger", ["lr", "alpha", "k", "step_counter", "betas", "N_sma_threshhold", "eps", "weight_decay", "params"],
         ["step", "exp_avg", "exp_avg_sq", "slow_buffer"]),
        ("Lookahead(Adam)", ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
                             "differentiable", "fused", "decoupled_weight_decay", "lookahead_alpha", "lookahead_k",
                             "params"],
         ["step", "exp_avg", "exp_avg_sq", "lookahead_slow_buff", "lookahead_step"]),
    ])
    func keysAreTorchs(name: String, groupKeys: [String], stateKeys: [String]) throws {
        let params = try Self.parameters()
        let optimizer = try #require(Self.makers.first { $0.name == name }).make(params, false)
        try Self.run(optimizer, params, steps: 0..<3)
        let state = try optimizer.stateDict()
        #expect(state.paramGroups.map { Array($0.keys) } == [groupKeys, groupKeys])
        #expect(state.state.keys.sorted() == [0, 1, 2])
        #expect(state.state[0].map { Array($0.keys) } == stateKeys)
        guard case .list(let indices)? = state.paramGroups[1]["params"] else { Issue.record("no params"); return }
        #expect(indices.map(\.intValue) == [1, 2])
    }

    @Test func adamStepIsAFloat32ScalarTensorAndRangerStepAnInt() throws {
        let params = try Self.parameters()
        let adam = try Self.makers[1].make(params, false)
        try Self.run(adam, params, steps: 0..<3)
        guard case .tensor(let step)? = try adam.stateDict().state[2]?["step"] else {
            Issue.record("Adam's step is not a tensor")
            return
        }
        #expect(step.dtype == .float32 && step.shape == [])
        #expect(try step.item() == 2)  // c steps on even steps only

        let ranger = try Self.makers[4].make(params, false)
        try Self.run(ranger, params, steps: 0..<3)
        guard case .int(let count)? = try ranger.stateDict().state[0]?["step"] else {
            Issue.record("Ranger's step is not an int")
            return
        }
        #expect(count == 3)
    }

    @Test func loadRestoresTheSavedOptions() throws {
        let params = try Self.parameters()
        let saved = try Self.makers[1].make(params, false).stateDict()
        let adam = try Adam(groups: Self.groups(params, (1, 1), (Adam.Options(), Adam.Options())))
        try adam.loadStateDict(saved)
        #expect(adam.learningRates == [0.01, 0.02])
        #expect(adam.paramGroups[1].options.amsgrad && adam.paramGroups[1].options.weightDecay == 0.1)

        let adamW = try AdamW(params, lr: 0.1)
        var plain = try Adam(params, lr: 0.1).stateDict()
        #expect(plain.paramGroups[0]["decoupled_weight_decay"]?.boolValue == false)
        plain.paramGroups[0]["weight_decay"] = .double(0.2)
        try adamW.loadStateDict(plain)
        #expect(adamW.paramGroups[0].options.decoupledWeightDecay)  // as PyTorch's AdamW.__setstate__
    }

    /// Each bad state is refused with a message naming the mismatch, and the optimiser is left as it was.
    @Test(arguments: [
        ("a group too many", "has 3 parameter groups, this optimiser 2"),
        ("a parameter too few", "has 1 parameters, this optimiser's group 2"),
        ("a state of another shape", "has shape [3], its parameter [4]"),
        ("no betas", "has no 'betas'"),
        ("a state for no parameter", "entry for parameter 9, which no group lists"),
        ("a fractional step", "is not a step count"),
    ])
    func badStateIsRefusedAndChangesNothing(defect: String, message: String) throws {
        let params = try Self.parameters()
        let source = try Adam(groups: [ParamGroup(params: [params[0]], lr: 0.5, options: .init()),
                                       ParamGroup(params: [params[1], params[2]], lr: 0.5, options: .init())])
        try Self.run(source, params, steps: 0..<2)
        var bad = try source.stateDict()
        switch defect {
        case "a group too many": bad.paramGroups.append(bad.paramGroups[1])
        case "a parameter too few": bad.paramGroups[1]["params"] = .list([.int(1)])
        case "a state of another shape": bad.state[1]?["exp_avg"] = .tensor(try Tensor.zeros([3]))
        case "no betas": bad.paramGroups[1]["betas"] = nil
        case "a state for no parameter": bad.state[9] = bad.state[0]
        default: bad.state[0]?["step"] = .double(1.5)
        }

        let target = try Adam(groups: [ParamGroup(params: [params[0]], lr: 0.01, options: .init()),
                                       ParamGroup(params: [params[1], params[2]], lr: 0.02, options: .init())])
        try Self.run(target, params, steps: 0..<1)
        let before = try target.stateDict()
        let error = #expect(throws: TorchError.self) { try target.loadStateDict(bad) }
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        expectSame(try target.stateDict(), before)
    }
}

/// Two optimiser states hold the same keys in the same order, and equal values (tensors bitwise).
func expectSame(_ a: OptimizerState, _ b: OptimizerState, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.state.keys.sorted() == b.state.keys.sorted(), sourceLocation: sourceLocation)
    #expect(a.paramGroups.count == b.paramGroups.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a.paramGroups, b.paramGroups) { expectSame(x, y, sourceLocation: sourceLocation) }
    for (index, x) in a.state {
        guard let y = b.state[index] else { continue }
        expectSame(x, y, sourceLocation: sourceLocation)
    }
}

func expectSame(_ a: StateRecord, _ b: StateRecord, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.keys == b.keys, sourceLocation: sourceLocation)
    for (key, value) in a {
        guard let other = b[key] else { continue }
        #expect(same(value, other), "'\(key)': \(value) vs \(other)", sourceLocation: sourceLocation)
    }
}

func same(_ a: StateValue, _ b: StateValue) -> Bool {
    switch (a, b) {
    case (.none, .none): true
    case (.bool(let x), .bool(let y)): x == y
    case (.int(let x), .int(let y)): x == y
    case (.double(let x), .double(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.tensor(let x), .tensor(let y)):
        x.dtype == y.dtype && x.shape == y.shape && (try? x.bytes()) == (try? y.bytes())
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    default: false
    }
}

extension StateValue {
    var intValue: Int? { if case .int(let n) = self { n } else { nil } }
    var boolValue: Bool? { if case .bool(let flag) = self { flag } else { nil } }
}
