/// Stochastic gradient descent with optional momentum, as `torch.optim.SGD`.
///
/// Keeps PyTorch's conventions, which differ from some textbooks: the momentum buffer starts as a copy of the
/// first gradient (dampening is not applied on that step), and weight decay is L2 added to the gradient.
public final class SGD: Optimizer {
    public struct Options {
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        /// Ascends the objective instead of descending it.
        public var maximize: Bool

        public init(momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false,
                    maximize: Bool = false)
        {
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
        }
    }

    final class State {
        var momentumBuffer: Tensor?
    }

    public var paramGroups: [ParamGroup<Options>]
    private var state = ParameterState<State>()

    public init(groups: [ParamGroup<Options>]) throws {
        for group in groups { try Self.check(lr: group.lr, group.options) }
        try OptimizerChecks.disjoint(groups.map(\.params))
        paramGroups = groups
    }

    private static func check(lr: Double, _ o: Options) throws {
        try OptimizerChecks.require(lr >= 0, "Invalid learning rate: \(lr)")
        try OptimizerChecks.require(o.momentum >= 0, "Invalid momentum value: \(o.momentum)")
        try OptimizerChecks.require(o.weightDecay >= 0, "Invalid weight_decay value: \(o.weightDecay)")
        try OptimizerChecks.require(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                                    "Nesterov momentum requires a momentum and zero dampening")
    }

    /// One group with PyTorch's defaults.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) throws
    {
        let options = Options(momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov,
                              maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, lr: lr, options: options)])
    }

    public func step() throws {
        try forEachParameterWithGrad { param, grad, group in
            let o = group.options
            var d = o.maximize ? try -grad : grad
            if o.weightDecay != 0 { d = try d.adding(param, alpha: o.weightDecay) }
            if o.momentum != 0 {
                let s = state.state(for: param) { State() }
                let buffer: Tensor
                if let existing = s.momentumBuffer {
                    try existing.mul_(o.momentum)
                    try existing.add_(d, alpha: 1 - o.dampening)
                    buffer = existing
                } else {
                    buffer = try d.detach().clone()
                    s.momentumBuffer = buffer
                }
                d = o.nesterov ? try d.adding(buffer, alpha: o.momentum) : buffer
            }
            try param.add_(d, alpha: -group.lr)
        }
    }

    /// The momentum buffer of `param`, nil before its first step or without momentum.
    public func momentumBuffer(of param: Tensor) -> Tensor? { state[param]?.momentumBuffer }

    /// `torch.optim.SGD`'s layout: per parameter "momentum_buffer" (only with momentum, after its first step),
    /// per group its options and PyTorch's code-path flags.
    public func stateDict() throws -> OptimizerState {
        try makeStateDict(group: { group in
            let o = group.options
            return ["lr": .double(group.lr), "momentum": .double(o.momentum), "dampening": .double(o.dampening),
                    "weight_decay": .double(o.weightDecay), "nesterov": .bool(o.nesterov), "maximize": .bool(o.maximize),
                    "foreach": .none, "differentiable": .bool(false), "fused": .none]
        }, param: { param in
            guard let buffer = state[param]?.momentumBuffer else { return nil }
            return ["momentum_buffer": try .snapshot(buffer)]
        })
    }

    public func loadStateDict(_ saved: OptimizerState) throws {
        let decoded = try decodeStateDict(saved, group: { record, _, name in
            let options = Options(
                momentum: try record.double("momentum", in: name), dampening: try record.double("dampening", in: name),
                weightDecay: try record.double("weight_decay", in: name),
                nesterov: try record.bool("nesterov", in: name, default: false),
                maximize: try record.bool("maximize", in: name, default: false))
            let lr = try record.double("lr", in: name)
            try Self.check(lr: lr, options)
            return (lr, options)
        }, param: { record, param, _, name in
            // Absent or None (older PyTorch wrote None without momentum): the next step starts the buffer.
            let s = State()
            if let buffer = record["momentum_buffer"], !buffer.isNone {
                s.momentumBuffer = try record.tensor("momentum_buffer", in: name, like: param)
            }
            return s
        })
        paramGroups = decoded.groups
        state.replaceAll(with: decoded.states)
    }
}
