import Foundation

/// Adam with bias correction, optional AMSGrad and L2 weight decay, as `torch.optim.Adam`.
///
/// The arithmetic follows PyTorch's single-tensor path (the one it runs on the CPU) operation by operation, so
/// trajectories match PyTorch's to float rounding. `AdamW` is this class with decoupled weight decay.
public class Adam: Optimizer {
    public struct Options {
        public var betas: (Double, Double)
        public var eps: Double
        public var weightDecay: Double
        /// Normalises by the running maximum of the second moment (Reddi et al.).
        public var amsgrad: Bool
        public var maximize: Bool
        /// Shrinks the weights by `lr * weightDecay` instead of adding `weightDecay * param` to the gradient
        /// (Loshchilov & Hutter); PyTorch's `decoupled_weight_decay`, always on in `AdamW`.
        public var decoupledWeightDecay: Bool

        public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                    amsgrad: Bool = false, maximize: Bool = false, decoupledWeightDecay: Bool = false)
        {
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.maximize = maximize
            self.decoupledWeightDecay = decoupledWeightDecay
        }
    }

    final class State {
        var step = 0
        let expAvg: Tensor
        let expAvgSq: Tensor
        let maxExpAvgSq: Tensor?

        init(_ param: Tensor, amsgrad: Bool) throws {
            expAvg = try param.zerosLike()
            expAvgSq = try param.zerosLike()
            maxExpAvgSq = amsgrad ? try param.zerosLike() : nil
        }

        /// State read from a state dict: "step", "exp_avg", "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq".
        init(_ record: StateRecord, param: Tensor, amsgrad: Bool, name: String) throws {
            step = try record.stepCount("step", in: name)
            expAvg = try record.tensor("exp_avg", in: name, like: param)
            expAvgSq = try record.tensor("exp_avg_sq", in: name, like: param)
            maxExpAvgSq = amsgrad ? try record.tensor("max_exp_avg_sq", in: name, like: param) : nil
        }

        var record: StateRecord {
            get throws {
                var record: StateRecord = ["step": try .stepTensor(step), "exp_avg": try .snapshot(expAvg),
                                           "exp_avg_sq": try .snapshot(expAvgSq)]
                if let maxExpAvgSq { record["max_exp_avg_sq"] = try .snapshot(maxExpAvgSq) }
                return record
            }
        }
    }

    public var paramGroups: [ParamGroup<Options>]
    private var state = ParameterState<State>()

    public init(groups: [ParamGroup<Options>]) throws {
        for group in groups {
            let o = group.options
            try OptimizerChecks.adamOptions(lr: group.lr, eps: o.eps, betas: o.betas, weightDecay: o.weightDecay)
        }
        try OptimizerChecks.disjoint(groups.map(\.params))
        paramGroups = groups
    }

    /// One group with PyTorch's defaults.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false,
                            maximize: Bool = false) throws
    {
        let options = Options(betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, lr: lr, options: options)])
    }

    public func step() throws {
        try forEachParameterWithGrad { param, grad, group in
            let o = group.options
            let lr = group.lr
            let (beta1, beta2) = o.betas
            let s = try state.state(for: param) { try State(param, amsgrad: o.amsgrad) }
            var g = o.maximize ? try -grad : grad
            s.step += 1
            if o.weightDecay != 0 {
                if o.decoupledWeightDecay {
                    try param.mul_(1 - lr * o.weightDecay)
                } else {
                    g = try g.adding(param, alpha: o.weightDecay)
                }
            }
            try s.expAvg.lerp_(g, weight: 1 - beta1)
            try s.expAvgSq.mul_(beta2)
            try s.expAvgSq.addcmul_(g, g, value: 1 - beta2)

            let step = Double(s.step)
            let biasCorrection1 = 1 - pow(beta1, step)
            let biasCorrection2 = 1 - pow(beta2, step)
            let stepSize = lr / biasCorrection1
            let biasCorrection2Sqrt = pow(biasCorrection2, 0.5)
            let secondMoment: Tensor
            if let maxExpAvgSq = s.maxExpAvgSq {
                try maxExpAvgSq.copy_(maxExpAvgSq.maximum(s.expAvgSq))
                secondMoment = maxExpAvgSq
            } else {
                secondMoment = s.expAvgSq
            }
            let denom = try secondMoment.sqrt() / biasCorrection2Sqrt
            try denom.add_(o.eps)
            try param.addcdiv_(s.expAvg, denom, value: -stepSize)
        }
    }

    /// `torch.optim.Adam`'s layout: per parameter "step" (a float32 0-d tensor), "exp_avg", "exp_avg_sq" and
    /// with AMSGrad "max_exp_avg_sq"; per group its options and PyTorch's flags for the code paths it picks
    /// (foreach, capturable, differentiable, fused), which do not change the arithmetic on the CPU.
    public func stateDict() throws -> OptimizerState {
        try makeStateDict(group: { group in
            let o = group.options
            return ["lr": .double(group.lr), "betas": .pair(o.betas), "eps": .double(o.eps),
                    "weight_decay": .double(o.weightDecay), "amsgrad": .bool(o.amsgrad), "maximize": .bool(o.maximize),
                    "foreach": .none, "capturable": .bool(false), "differentiable": .bool(false), "fused": .none,
                    "decoupled_weight_decay": .bool(o.decoupledWeightDecay)]
        }, param: { param in try state[param]?.record })
    }

    public func loadStateDict(_ saved: OptimizerState) throws {
        let decoded = try decodeStateDict(saved, group: { record, _, name in
            let g = try SavedAdamGroup(record, name: name)
            return (g.lr, Options(betas: g.betas, eps: g.eps, weightDecay: g.weightDecay,
                                  amsgrad: try record.bool("amsgrad", in: name, default: false), maximize: g.maximize,
                                  decoupledWeightDecay: g.decoupledWeightDecay))
        }, param: { record, param, options, name in
            try State(record, param: param, amsgrad: options.amsgrad, name: name)
        })
        paramGroups = decoded.groups
        state.replaceAll(with: decoded.states)
    }
}
