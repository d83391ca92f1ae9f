/// Lookahead (Zhang, Lucas, Hinton & Ba 2019) around any optimiser: k fast steps forward, one step back.
///
/// Each parameter's slow weights are a copy of it taken at its first step; after every `k` steps of that
/// parameter the slow weights move `alpha` of the way towards the fast weights and the fast weights are reset to
/// them. This is the per-parameter bookkeeping of the Ranger that pSp and e4e use, so `Lookahead` around a plain
/// optimiser synchronises on the same steps as `Ranger` does. Parameters without a gradient are not counted.
public final class Lookahead<Inner: Optimizer>: Optimizer {
    public typealias Options = Inner.Options

    final class State {
        var step = 0
        let slowWeights: Tensor

        init(_ param: Tensor) throws { slowWeights = try param.detach().clone() }
    }

    public let inner: Inner
    public let k: Int
    public let alpha: Double
    private var state = ParameterState<State>()

    public init(_ inner: Inner, k: Int = 5, alpha: Double = 0.5) throws {
        try OptimizerChecks.require(k >= 1, "Invalid lookahead steps: \(k)")
        try OptimizerChecks.require((0...1).contains(alpha), "Invalid slow update rate: \(alpha)")
        self.inner = inner
        self.k = k
        self.alpha = alpha
    }

    /// The inner optimiser's groups: schedulers and `zeroGrad` act on it directly.
    public var paramGroups: [ParamGroup<Inner.Options>] {
        get { inner.paramGroups }
        set { inner.paramGroups = newValue }
    }

    public func step() throws {
        // Which parameters step is decided before the inner step, and their slow weights are taken before it
        // moves them.
        var stepping: [State] = []
        var params: [Tensor] = []
        try forEachParameterWithGrad { param, _, _ in
            stepping.append(try state.state(for: param) { try State(param) })
            params.append(param)
        }
        try inner.step()
        try withNoGrad {
            for (param, s) in zip(params, stepping) {
                s.step += 1
                guard s.step % k == 0 else { continue }
                try s.slowWeights.add_(param - s.slowWeights, alpha: alpha)
                try param.copy_(s.slowWeights)
            }
        }
    }

    /// The slow weights of `param`, nil before its first step.
    public func slowWeights(of param: Tensor) -> Tensor? { state[param]?.slowWeights }
}
