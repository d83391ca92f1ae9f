import Foundation

/// Ranger (RAdam + Lookahead + gradient centralisation), exactly as the `training/ranger.py` that pSp, e4e,
/// E2Style and CLCAE train their encoders with (lessw2020's Ranger, version 20.4.11).
///
/// Its quirks are kept on purpose, because checkpoints trained with it depend on them:
/// - the RAdam step is arranged as in the RAdam authors' code: rectification and both bias corrections are
///   folded into one scalar step size (computed in double precision), and the update is
///   `-lr * stepSize * exp_avg / (sqrt(exp_avg_sq) + eps)` while `N_sma > nSmaThreshold`, else
///   `-lr * stepSize * exp_avg` with `stepSize = 1 / (1 - beta1^t)`. That is `torch.optim.RAdam`'s arithmetic
///   regrouped, so it rounds differently; the threshold is configurable;
/// - gradient centralisation is always on (the original stores a `use_gc` flag but never reads it): it
///   subtracts the mean over all but the first dimension from every gradient with more than one dimension (more
///   than three with `gcConvOnly`), in place, so for float32 parameters `param.grad` is centralised after
///   `step()`, as in the original;
/// - weight decay multiplies the weights by `1 - lr * weightDecay` before the update (decoupled, not L2);
/// - the Lookahead slow weights are a copy of the parameter taken at its first step, and every `k` of that
///   parameter's steps they move `alpha` of the way to the fast weights, which are then reset to them;
/// - moments are kept in float32 and the update is computed in float32 whatever the parameter's dtype.
///
/// `betas`, `alpha` and `nSmaThreshold` are optimiser-wide: the original reads the threshold and alpha from the
/// optimiser, and caches the step size per step count across all groups, so per-group betas would not be
/// honoured there either. `k`, `eps` and `weightDecay` are per group, as in the original.
///
/// The defaults are e4e's (and the fixtures'): eps 1e-5. pSp's copy of the file defaults to eps 6.1e-5 and its
/// coach passes only the learning rate, so pass `eps: 6.1e-5` to reproduce pSp training.
public final class Ranger: Optimizer {
    public struct Options {
        /// Fast steps between Lookahead synchronisations.
        public var k: Int
        public var eps: Double
        public var weightDecay: Double

        public init(k: Int = 6, eps: Double = 1e-5, weightDecay: Double = 0) {
            self.k = k
            self.eps = eps
            self.weightDecay = weightDecay
        }
    }

    final class State {
        var step = 0
        let expAvg: Tensor
        let expAvgSq: Tensor
        /// Lookahead slow weights, in the parameter's dtype.
        let slowBuffer: Tensor

        init(_ param: Tensor, float32 paramFP32: Tensor) throws {
            expAvg = try paramFP32.zerosLike()
            expAvgSq = try paramFP32.zerosLike()
            slowBuffer = try param.clone()
        }

        init(_ record: StateRecord, param: Tensor, name: String) throws {
            step = try record.stepCount("step", in: name)
            expAvg = try record.tensor("exp_avg", in: name, like: param, dtype: .float32)
            expAvgSq = try record.tensor("exp_avg_sq", in: name, like: param, dtype: .float32)
            slowBuffer = try record.tensor("slow_buffer", in: name, like: param)
        }
    }

    public var paramGroups: [ParamGroup<Options>]
    public let alpha: Double
    /// Per group in the state dict, where `ranger.py` reads them; loading a state sets them.
    public private(set) var betas: (Double, Double)
    public let nSmaThreshold: Double
    public let gcConvOnly: Bool
    private var state = ParameterState<State>()

    public init(groups: [ParamGroup<Options>], alpha: Double = 0.5, nSmaThreshold: Double = 5,
                betas: (Double, Double) = (0.95, 0.999), gcConvOnly: Bool = false) throws
    {
        try OptimizerChecks.require((0...1).contains(alpha), "Invalid slow update rate: \(alpha)")
        for group in groups { try Self.check(lr: group.lr, group.options) }
        try OptimizerChecks.disjoint(groups.map(\.params))
        paramGroups = groups
        self.alpha = alpha
        self.betas = betas
        self.nSmaThreshold = nSmaThreshold
        self.gcConvOnly = gcConvOnly
    }

    private static func check(lr: Double, _ o: Options) throws {
        try OptimizerChecks.require(o.k >= 1, "Invalid lookahead steps: \(o.k)")
        try OptimizerChecks.require(lr > 0, "Invalid Learning Rate: \(lr)")
        try OptimizerChecks.require(o.eps > 0, "Invalid eps: \(o.eps)")
    }

    /// One group with the defaults of the encoders' `ranger.py`.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, alpha: Double = 0.5, k: Int = 6,
                            nSmaThreshold: Double = 5, betas: (Double, Double) = (0.95, 0.999), eps: Double = 1e-5,
                            weightDecay: Double = 0, gcConvOnly: Bool = false) throws
    {
        let options = Options(k: k, eps: eps, weightDecay: weightDecay)
        try self.init(groups: [ParamGroup(params: params, lr: lr, options: options)], alpha: alpha,
                      nSmaThreshold: nSmaThreshold, betas: betas, gcConvOnly: gcConvOnly)
    }

    public func step() throws {
        let (beta1, beta2) = betas
        let gcThreshold = gcConvOnly ? 3 : 1
        try forEachParameterWithGrad { param, gradient, group in
            // `.float()` in the original: the same tensor for float32, a float32 copy otherwise.
            let grad = try gradient.to(dtype: .float32)
            let paramFP32 = try param.to(dtype: .float32)
            let s = try state.state(for: param) { try State(param, float32: paramFP32) }

            if grad.rank > gcThreshold {
                try grad.add_(grad.mean(Array(1..<grad.rank), keepdim: true), alpha: -1)
            }
            s.step += 1
            try s.expAvgSq.mul_(beta2)
            try s.expAvgSq.addcmul_(grad, grad, value: 1 - beta2)
            try s.expAvg.mul_(beta1)
            try s.expAvg.add_(grad, alpha: 1 - beta1)

            let (nSma, stepSize) = radamStepSize(step: s.step, beta1: beta1, beta2: beta2)
            let o = group.options
            if o.weightDecay != 0 {
                try paramFP32.add_(paramFP32, alpha: -o.weightDecay * group.lr)
            }
            if nSma > nSmaThreshold {
                let denom = try s.expAvgSq.sqrt()
                try denom.add_(o.eps)
                try paramFP32.addcdiv_(s.expAvg, denom, value: -stepSize * group.lr)
            } else {
                try paramFP32.add_(s.expAvg, alpha: -stepSize * group.lr)
            }
            try param.copy_(paramFP32)  // a self-copy (no-op) for float32, the write-back otherwise

            if s.step % o.k == 0 {
                try s.slowBuffer.add_(param - s.slowBuffer, alpha: alpha)
                try param.copy_(s.slowBuffer)
            }
        }
    }

    /// N_sma and the rectified step size of the original, with its operation order (doubles, as in Python).
    private func radamStepSize(step: Int, beta1: Double, beta2: Double) -> (nSma: Double, stepSize: Double) {
        let t = Double(step)
        let beta2T = pow(beta2, t)
        let nSmaMax = 2 / (1 - beta2) - 1
        let nSma = nSmaMax - 2 * t * beta2T / (1 - beta2T)
        guard nSma > nSmaThreshold else { return (nSma, 1.0 / (1 - pow(beta1, t))) }
        let rectified = (1 - beta2T) * (nSma - 4) / (nSmaMax - 4) * (nSma - 2) / nSma * nSmaMax / (nSmaMax - 2)
        return (nSma, rectified.squareRoot() / (1 - pow(beta1, t)))
    }

    /// The Lookahead slow weights of `param`, nil before its first step.
    public func slowWeights(of param: Tensor) -> Tensor? { state[param]?.slowBuffer }

    /// `ranger.py`'s layout: per parameter "step" (an int), "exp_avg", "exp_avg_sq" and "slow_buffer"; per
    /// group "lr", "alpha", "k", "step_counter" (always 0 there), "betas", "N_sma_threshhold" (its spelling),
    /// "eps" and "weight_decay".
    public func stateDict() throws -> OptimizerState {
        try makeStateDict(group: { group in
            let o = group.options
            return ["lr": .double(group.lr), "alpha": .double(alpha), "k": .int(o.k), "step_counter": .int(0),
                    "betas": .pair(betas), "N_sma_threshhold": .double(nSmaThreshold), "eps": .double(o.eps),
                    "weight_decay": .double(o.weightDecay)]
        }, param: { param in
            guard let s = state[param] else { return nil }
            return ["step": .int(s.step), "exp_avg": try .snapshot(s.expAvg), "exp_avg_sq": try .snapshot(s.expAvgSq),
                    "slow_buffer": try .snapshot(s.slowBuffer)]
        })
    }

    /// Restores "lr", "k", "eps", "weight_decay" and "betas" (the same in every group); `alpha` and
    /// `nSmaThreshold` stay as constructed, because `ranger.py` reads them from the optimiser, not the groups.
    public func loadStateDict(_ saved: OptimizerState) throws {
        var savedBetas: [(Double, Double)] = []
        let decoded = try decodeStateDict(saved, group: { record, _, name in
            savedBetas.append(try record.pair("betas", in: name))
            let options = Options(k: try record.int("k", in: name), eps: try record.double("eps", in: name),
                                  weightDecay: try record.double("weight_decay", in: name))
            let lr = try record.double("lr", in: name)
            try Self.check(lr: lr, options)
            return (lr, options)
        }, param: { record, param, _, name in try State(record, param: param, name: name) })
        let restoredBetas = savedBetas.first ?? betas
        guard savedBetas.allSatisfy({ $0 == restoredBetas }) else {
            throw TorchError("the saved Ranger groups have different betas \(savedBetas); Ranger keeps one pair")
        }
        paramGroups = decoded.groups
        betas = restoredBetas
        state.replaceAll(with: decoded.states)
    }
}
