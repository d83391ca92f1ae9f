/// Tensors that share a learning rate and optimiser options, as one entry of PyTorch's `param_groups`.
///
/// `Options` is the optimiser's own option type (`SGD.Options`, `Adam.Options`, ...), so each group can
/// override any option, not only the learning rate.
public struct ParamGroup<Options> {
    public var params: [Tensor]
    public var lr: Double
    public var options: Options

    public init(params: [Tensor], lr: Double, options: Options) {
        self.params = params
        self.lr = lr
        self.options = options
    }
}

/// A gradient-based optimiser over parameter groups, as `torch.optim.Optimizer`.
///
/// Optimisers take tensors, not modules, as PyTorch does. `step()` skips parameters whose gradient is nil,
/// runs with gradient recording off and keeps per-parameter state keyed by tensor identity, so the same
/// `Tensor` objects must stay in the groups from step to step.
public protocol Optimizer: AnyObject {
    associatedtype Options

    var paramGroups: [ParamGroup<Options>] { get set }

    /// Updates every parameter that has a gradient, in place.
    func step() throws

    /// The options of every group and the state of every parameter that has stepped, in PyTorch's
    /// `state_dict()` layout for this optimiser.
    func stateDict() throws -> OptimizerState

    /// Restores a state made by `stateDict()` (here or by PyTorch), as `load_state_dict`: the groups' options
    /// and learning rates, and every parameter's state, copied to the parameter's device and dtype. The group
    /// and parameter counts and the state shapes must match; on any mismatch nothing changes and the error
    /// names it.
    func loadStateDict(_ state: OptimizerState) throws
}

extension Optimizer {
    /// Every parameter of every group, in group order.
    public var parameters: [Tensor] { paramGroups.flatMap(\.params) }

    /// One learning rate per group; schedulers read and write these.
    public var learningRates: [Double] {
        get { paramGroups.map(\.lr) }
        set {
            precondition(newValue.count == paramGroups.count,
                         "\(newValue.count) learning rates for \(paramGroups.count) parameter groups")
            for i in paramGroups.indices { paramGroups[i].lr = newValue[i] }
        }
    }

    /// Clears the gradients: to nil by default (PyTorch's `set_to_none=True`), else to zeros in place.
    public func zeroGrad(setToNone: Bool = true) throws {
        for param in parameters {
            if setToNone {
                try param.setGrad(nil)
            } else if let grad = try param.grad {
                try grad.zero_()
            }
        }
    }

    /// Runs `body(param, grad, group)` for each parameter that has a gradient, with recording off.
    func forEachParameterWithGrad(_ body: (Tensor, Tensor, ParamGroup<Options>) throws -> Void) throws {
        try withNoGrad {
            for group in paramGroups {
                for param in group.params {
                    guard let grad = try param.grad else { continue }
                    try body(param, grad, group)
                }
            }
        }
    }
}

/// Per-parameter optimiser state keyed by tensor identity, as `Optimizer.state`.
///
/// Each entry holds its parameter strongly (PyTorch's state dict does too): a freed tensor's address could
/// otherwise be reused by a new tensor that would inherit stale state.
struct ParameterState<State: AnyObject> {
    private var entries: [ObjectIdentifier: (param: Tensor, state: State)] = [:]

    subscript(param: Tensor) -> State? { entries[ObjectIdentifier(param)]?.state }

    /// The parameter's state, created by `initial` the first time the parameter is seen.
    mutating func state(for param: Tensor, initial: () throws -> State) rethrows -> State {
        if let existing = entries[ObjectIdentifier(param)] { return existing.state }
        let created = try initial()
        entries[ObjectIdentifier(param)] = (param, created)
        return created
    }

    /// Replaces every entry, as `loadStateDict` does.
    mutating func replaceAll(with states: [(Tensor, State)]) {
        entries = Dictionary(uniqueKeysWithValues: states.map { (ObjectIdentifier($0.0), (param: $0.0, state: $0.1)) })
    }
}

/// Checks shared by the optimiser initialisers, with PyTorch's messages.
enum OptimizerChecks {
    /// PyTorch refuses a tensor in two groups: it would be stepped twice with one state.
    static func disjoint(_ groups: [[Tensor]]) throws {
        var seen = Set<ObjectIdentifier>()
        for param in groups.joined() where !seen.insert(ObjectIdentifier(param)).inserted {
            throw TorchError("some parameters appear in more than one parameter group")
        }
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw TorchError(message()) }
    }

    /// The option checks Adam and RAdam share, with PyTorch's messages.
    static func adamOptions(lr: Double, eps: Double, betas: (Double, Double), weightDecay: Double) throws {
        try require(lr >= 0, "Invalid learning rate: \(lr)")
        try require(eps >= 0, "Invalid epsilon value: \(eps)")
        try require((0..<1).contains(betas.0), "Invalid beta parameter at index 0: \(betas.0)")
        try require((0..<1).contains(betas.1), "Invalid beta parameter at index 1: \(betas.1)")
        try require(weightDecay >= 0, "Invalid weight_decay value: \(weightDecay)")
    }
}

extension Tensor {
    /// `self + alpha * other` as a new tensor in one kernel, as `torch.add(self, other, alpha=alpha)`; the
    /// optimisers use it where PyTorch does, so their rounding matches.
    func adding(_ other: Tensor, alpha: Double) throws -> Tensor {
        let sum = try clone()
        try sum.add_(other, alpha: alpha)
        return sum
    }
}
