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

        init(step: Int, slowWeights: Tensor) {
            self.step = step
            self.slowWeights = slowWeights
        }
    }

    public let inner: Inner
    /// Loading a state sets `k` and `alpha` to the saved ones.
    public private(set) var k: Int
    public private(set) var alpha: Double
    private var state = ParameterState<State>()

    public init(_ inner: Inner, k: Int = 5, alpha: Double = 0.5) throws {
        try Self.check(k: k, alpha: alpha)
        self.inner = inner
        self.k = k
        self.alpha = alpha
    }

    private static func check(k: Int, alpha: Double) throws {
        try OptimizerChecks.require(k >= 1, "Invalid lookahead steps: \(k)")
        try OptimizerChecks.require((0...1).contains(alpha), "Invalid slow update rate: \(alpha)")
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

    /// The inner optimiser's state dict with the Lookahead entries added under timm's `Lookahead` names: per
    /// parameter "lookahead_slow_buff" and "lookahead_step" (the per-parameter count of `ranger.py`, where
    /// timm counts per group), per group "lookahead_alpha" and "lookahead_k".
    public func stateDict() throws -> OptimizerState {
        var saved = try inner.stateDict()
        for g in saved.paramGroups.indices {
            let params = saved.paramGroups[g]["params"]
            saved.paramGroups[g]["params"] = nil  // kept last, as PyTorch keeps it
            saved.paramGroups[g][Self.alphaKey] = .double(alpha)
            saved.paramGroups[g][Self.kKey] = .int(k)
            saved.paramGroups[g]["params"] = params
        }
        for (index, param) in parameters.enumerated() {
            guard let s = state[param] else { continue }
            var record = saved.state[index] ?? StateRecord()
            record[Self.slowKey] = try .snapshot(s.slowWeights)
            record[Self.stepKey] = .int(s.step)
            saved.state[index] = record
        }
        return saved
    }

    /// Restores the inner optimiser from the entries that are not Lookahead's, then the slow weights, `k` and
    /// `alpha` (which must be the same in every group).
    public func loadStateDict(_ saved: OptimizerState) throws {
        var innerState = saved
        var settings: [(k: Int, alpha: Double)] = []
        for (g, record) in saved.paramGroups.enumerated() {
            let name = "param_groups[\(g)]"
            settings.append((try record.int(Self.kKey, in: name), try record.double(Self.alphaKey, in: name)))
            innerState.paramGroups[g][Self.kKey] = nil
            innerState.paramGroups[g][Self.alphaKey] = nil
        }
        let restored = settings.first ?? (k, alpha)
        guard settings.allSatisfy({ $0 == restored }) else {
            throw TorchError("the saved groups have different Lookahead settings \(settings); Lookahead keeps one")
        }
        try Self.check(k: restored.k, alpha: restored.alpha)

        let owners = try savedParameters(saved)
        var states: [(Tensor, State)] = []
        for (index, record) in saved.state.sorted(by: { $0.key < $1.key }) {
            let name = "state[\(index)]"
            var innerRecord = record
            innerRecord[Self.slowKey] = nil
            innerRecord[Self.stepKey] = nil
            innerState.state[index] = innerRecord.count > 0 ? innerRecord : nil
            guard record[Self.slowKey] != nil || record[Self.stepKey] != nil else { continue }
            guard let param = owners[index]?.param else {
                throw TorchError("the saved state has an entry for parameter \(index), which no group lists")
            }
            states.append((param, State(step: try record.stepCount(Self.stepKey, in: name),
                                        slowWeights: try record.tensor(Self.slowKey, in: name, like: param))))
        }
        try inner.loadStateDict(innerState)
        (k, alpha) = restored
        state.replaceAll(with: states)
    }

    private static var slowKey: String { "lookahead_slow_buff" }
    private static var stepKey: String { "lookahead_step" }
    private static var kKey: String { "lookahead_k" }
    private static var alphaKey: String { "lookahead_alpha" }
}
