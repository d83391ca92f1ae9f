import Foundation

/// Rectified Adam (Liu et al. 2019), as `torch.optim.RAdam`.
///
/// While the variance of the adaptive rate is intractable (rho_t <= 5) it steps with the bias-corrected first
/// moment alone (SGD with momentum); afterwards it steps as Adam scaled by the rectification term. This is
/// PyTorch's arrangement of the arithmetic; `Ranger` keeps the RAdam authors' regrouping of it (one folded scalar
/// step size), which rounds differently.
public final class RAdam: Optimizer {
    public struct Options {
        public var betas: (Double, Double)
        public var eps: Double
        public var weightDecay: Double
        /// Shrinks the weights by `lr * weightDecay` instead of L2 on the gradient (PyTorch's
        /// `decoupled_weight_decay`).
        public var decoupledWeightDecay: Bool
        public var maximize: Bool

        public init(betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                    decoupledWeightDecay: Bool = false, maximize: Bool = false)
        {
            self.betas = betas
            self.eps = eps
            self.weightDecay = weightDecay
            self.decoupledWeightDecay = decoupledWeightDecay
            self.maximize = maximize
        }
    }

    final class State {
        var step = 0
        let expAvg: Tensor
        let expAvgSq: Tensor

        init(_ param: Tensor) throws {
            expAvg = try param.zerosLike()
            expAvgSq = try param.zerosLike()
        }

        init(_ record: StateRecord, param: Tensor, name: String) throws {
            step = try record.stepCount("step", in: name)
            expAvg = try record.tensor("exp_avg", in: name, like: param)
            expAvgSq = try record.tensor("exp_avg_sq", in: name, like: param)
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
                            eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
                            maximize: Bool = false) throws
    {
        let options = Options(betas: betas, eps: eps, weightDecay: weightDecay,
                              decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
        try self.init(groups: [ParamGroup(params: params, lr: lr, options: options)])
    }

    public func step() throws {
        try forEachParameterWithGrad { param, grad, group in
            let o = group.options
            let lr = group.lr
            let (beta1, beta2) = o.betas
            let s = try state.state(for: param) { try State(param) }
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
            let biasCorrectedExpAvg = try s.expAvg / biasCorrection1
            // Length of the approximated simple moving average, and its limit.
            let rhoInf = 2 / (1 - beta2) - 1
            let rhoT = rhoInf - 2 * step * pow(beta2, step) / biasCorrection2
            if rhoT > 5 {
                let rect = pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)
                let expAvgSqSqrt = try s.expAvgSq.sqrt()
                try expAvgSqSqrt.add_(o.eps)
                let adaptiveLR = try pow(biasCorrection2, 0.5) / expAvgSqSqrt
                try param.add_(biasCorrectedExpAvg * lr * adaptiveLR * rect, alpha: -1)
            } else {
                try param.add_(biasCorrectedExpAvg * lr, alpha: -1)
            }
        }
    }

    /// `torch.optim.RAdam`'s layout: per parameter "step" (a float32 0-d tensor), "exp_avg" and "exp_avg_sq";
    /// per group its options and PyTorch's code-path flags.
    public func stateDict() throws -> OptimizerState {
        try makeStateDict(group: { group in
            let o = group.options
            return ["lr": .double(group.lr), "betas": .pair(o.betas), "eps": .double(o.eps),
                    "weight_decay": .double(o.weightDecay), "maximize": .bool(o.maximize), "foreach": .none,
                    "capturable": .bool(false), "decoupled_weight_decay": .bool(o.decoupledWeightDecay),
                    "differentiable": .bool(false)]
        }, param: { param in
            guard let s = state[param] else { return nil }
            return ["step": try .stepTensor(s.step), "exp_avg": try .snapshot(s.expAvg),
                    "exp_avg_sq": try .snapshot(s.expAvgSq)]
        })
    }

    public func loadStateDict(_ saved: OptimizerState) throws {
        let decoded = try decodeStateDict(saved, group: { record, _, name in
            let g = try SavedAdamGroup(record, name: name)
            return (g.lr, Options(betas: g.betas, eps: g.eps, weightDecay: g.weightDecay,
                                  decoupledWeightDecay: g.decoupledWeightDecay, maximize: g.maximize))
        }, param: { record, param, _, name in try State(record, param: param, name: name) })
        paramGroups = decoded.groups
        state.replaceAll(with: decoded.states)
    }
}
