/// One value of an optimiser's or scheduler's state dict: the Python kinds PyTorch puts there.
public indirect enum StateValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case tensor(Tensor)
    case list([StateValue])
    case tuple([StateValue])

    public var isNone: Bool {
        if case .none = self { true } else { false }
    }

    /// Python's name for the kind, for messages.
    public var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .tensor: "tensor"
        case .list: "list"
        case .tuple: "tuple"
        }
    }
}

/// A Python dict with string keys, in insertion order, as the records of a state dict are: a checkpoint written
/// from it keeps PyTorch's key order.
public struct StateRecord: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    private var values: [String: StateValue] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, StateValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    public var count: Int { keys.count }

    /// The value under `key`; setting a new key appends it, setting nil removes it.
    public subscript(key: String) -> StateValue? {
        get { values[key] }
        set {
            switch (values[key], newValue) {
            case (nil, let value?): keys.append(key); values[key] = value
            case (_?, nil): keys.removeAll { $0 == key }; values[key] = nil
            default: values[key] = newValue
            }
        }
    }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: StateValue)> {
        keys.lazy.map { (key: $0, value: values[$0]!) }.makeIterator()
    }
}

/// An optimiser's state in the layout of PyTorch's `optimizer.state_dict()`, key for key:
/// `{"state": {index: {...}}, "param_groups": [{"lr": ..., ..., "params": [index, ...]}]}`.
///
/// Parameters are numbered across the groups in order, as PyTorch numbers them; a parameter that has not
/// stepped yet has no entry in `state`. Tensors are copies taken when the state was made, so the value does not
/// change as the optimiser keeps stepping.
public struct OptimizerState: Sendable {
    /// Per-parameter state by parameter index (Adam's "step", "exp_avg", ...; SGD's "momentum_buffer").
    public var state: [Int: StateRecord]
    /// One record per group: its options under PyTorch's names and its parameter indices under "params".
    public var paramGroups: [StateRecord]

    public init(state: [Int: StateRecord], paramGroups: [StateRecord]) {
        self.state = state
        self.paramGroups = paramGroups
    }
}

extension StateRecord {
    /// The value under `key`, or an error naming `owner` ("param_groups[0]") and the key.
    func value(_ key: String, in owner: String) throws -> StateValue {
        guard let value = self[key] else {
            throw TorchError("\(owner) has no '\(key)' (has: \(keys.joined(separator: ", ")))")
        }
        return value
    }

    func double(_ key: String, in owner: String) throws -> Double {
        switch try value(key, in: owner) {
        case .double(let x): return x
        case .int(let n): return Double(n)
        case let other: throw TorchError("\(owner)['\(key)'] is a \(other.typeName), not a number")
        }
    }

    func int(_ key: String, in owner: String) throws -> Int {
        let value = try value(key, in: owner)
        if case .int(let n) = value { return n }
        throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not an int")
    }

    /// A flag; absent flags take `default`, as PyTorch's `__setstate__` fills in flags older versions lacked.
    func bool(_ key: String, in owner: String, default fallback: Bool) throws -> Bool {
        guard let value = self[key] else { return fallback }
        if case .bool(let flag) = value { return flag }
        throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not a bool")
    }

    func string(_ key: String, in owner: String) throws -> String {
        let value = try value(key, in: owner)
        if case .string(let text) = value { return text }
        throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not a str")
    }

    /// A list or tuple of numbers, such as "betas" or "base_lrs".
    func doubles(_ key: String, in owner: String) throws -> [Double] {
        let value = try value(key, in: owner)
        switch value {
        case .list(let items), .tuple(let items):
            return try items.map { item in
                switch item {
                case .double(let x): return x
                case .int(let n): return Double(n)
                default: throw TorchError("\(owner)['\(key)'] holds a \(item.typeName), not a number")
                }
            }
        default:
            throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not a list of numbers")
        }
    }

    /// "betas" as a pair.
    func pair(_ key: String, in owner: String) throws -> (Double, Double) {
        let values = try doubles(key, in: owner)
        guard values.count == 2 else { throw TorchError("\(owner)['\(key)'] has \(values.count) values, not 2") }
        return (values[0], values[1])
    }

    /// A step count, stored by PyTorch as a float32 0-d tensor (Adam, RAdam) or an int (ranger.py).
    func stepCount(_ key: String, in owner: String) throws -> Int {
        let value = try value(key, in: owner)
        let count: Double
        switch value {
        case .int(let n): count = Double(n)
        case .double(let x): count = x
        case .tensor(let t):
            guard t.count == 1 else { throw TorchError("\(owner)['\(key)'] is a tensor of shape \(t.shape), not a scalar") }
            count = try t.item()
        default: throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not a step count")
        }
        guard count >= 0, count == count.rounded(), count < 9e15 else {
            throw TorchError("\(owner)['\(key)'] = \(count) is not a step count")
        }
        return Int(count)
    }

    /// A copy of the state tensor under `key`, checked to have `param`'s shape and moved to its device, in
    /// `dtype` (the parameter's by default, as PyTorch casts floating-point state on load).
    func tensor(_ key: String, in owner: String, like param: Tensor, dtype: DType? = nil) throws -> Tensor {
        let value = try value(key, in: owner)
        guard case .tensor(let saved) = value else {
            throw TorchError("\(owner)['\(key)'] is a \(value.typeName), not a tensor")
        }
        guard saved.shape == param.shape else {
            throw TorchError("\(owner)['\(key)'] has shape \(saved.shape), its parameter \(param.shape)")
        }
        return try saved.to(device: param.device, dtype: dtype ?? param.dtype, copy: true)
    }
}

/// The settings Adam and RAdam groups share, read from a saved group and checked as their initialisers check them.
struct SavedAdamGroup {
    let lr: Double
    let betas: (Double, Double)
    let eps: Double
    let weightDecay: Double
    let maximize: Bool
    let decoupledWeightDecay: Bool

    init(_ record: StateRecord, name: String) throws {
        lr = try record.double("lr", in: name)
        betas = try record.pair("betas", in: name)
        eps = try record.double("eps", in: name)
        weightDecay = try record.double("weight_decay", in: name)
        maximize = try record.bool("maximize", in: name, default: false)
        decoupledWeightDecay = try record.bool("decoupled_weight_decay", in: name, default: false)
        try OptimizerChecks.adamOptions(lr: lr, eps: eps, betas: betas, weightDecay: weightDecay)
    }
}

extension StateValue {
    /// A copy of `tensor` for a state dict, so the value keeps the numbers of the moment it was taken.
    static func snapshot(_ tensor: Tensor) throws -> StateValue { .tensor(try tensor.detach().clone()) }

    /// PyTorch's float32 0-d "step" tensor.
    static func stepTensor(_ step: Int) throws -> StateValue { .tensor(try .scalar(Double(step), dtype: .float32)) }

    static func pair(_ values: (Double, Double)) -> StateValue { .tuple([.double(values.0), .double(values.1)]) }
}

extension Optimizer {
    /// The state dict of this optimiser: `group` makes each group's options record (without "params"),
    /// `param` a parameter's state record, nil before it has any.
    func makeStateDict(group: (ParamGroup<Options>) throws -> StateRecord,
                       param: (Tensor) throws -> StateRecord?) throws -> OptimizerState
    {
        var state: [Int: StateRecord] = [:]
        var groups: [StateRecord] = []
        var index = 0
        for paramGroup in paramGroups {
            var record = try group(paramGroup)
            var indices: [StateValue] = []
            for p in paramGroup.params {
                if let entry = try param(p) { state[index] = entry }
                indices.append(.int(index))
                index += 1
            }
            record["params"] = .list(indices)
            groups.append(record)
        }
        return OptimizerState(state: state, paramGroups: groups)
    }

    /// The parameters a saved state's indices stand for, matched as PyTorch's `load_state_dict` matches them:
    /// the same number of groups and of parameters per group, the saved groups' "params" lists mapped onto
    /// this optimiser's parameters in order.
    func savedParameters(_ saved: OptimizerState) throws -> [Int: (group: Int, param: Tensor)] {
        guard saved.paramGroups.count == paramGroups.count else {
            throw TorchError("the saved optimiser state has \(saved.paramGroups.count) parameter groups, "
                + "this optimiser \(paramGroups.count)")
        }
        var map: [Int: (group: Int, param: Tensor)] = [:]
        for (g, record) in saved.paramGroups.enumerated() {
            let name = "param_groups[\(g)]"
            let indices = try record.savedIndices(in: name)
            let params = paramGroups[g].params
            guard indices.count == params.count else {
                throw TorchError("\(name) of the saved state has \(indices.count) parameters, this optimiser's "
                    + "group \(params.count)")
            }
            for (index, p) in zip(indices, params) {
                guard map[index] == nil else {
                    throw TorchError("parameter \(index) appears twice in the saved parameter groups")
                }
                map[index] = (g, p)
            }
        }
        return map
    }

    /// Decodes a state dict against this optimiser's groups without changing anything. `group` decodes one
    /// group's learning rate and options (given the record, the current group and a name for messages);
    /// `param` one parameter's state.
    func decodeStateDict<State>(
        _ saved: OptimizerState,
        group: (StateRecord, ParamGroup<Options>, String) throws -> (lr: Double, options: Options),
        param: (StateRecord, Tensor, Options, String) throws -> State
    ) throws -> (groups: [ParamGroup<Options>], states: [(Tensor, State)]) {
        let owners = try savedParameters(saved)
        var groups = paramGroups
        for (g, record) in saved.paramGroups.enumerated() {
            (groups[g].lr, groups[g].options) = try group(record, groups[g], "param_groups[\(g)]")
        }
        var states: [(Tensor, State)] = []
        for (index, record) in saved.state.sorted(by: { $0.key < $1.key }) {
            guard let owner = owners[index] else {
                throw TorchError("the saved state has an entry for parameter \(index), which no group lists")
            }
            let options = groups[owner.group].options
            states.append((owner.param, try param(record, owner.param, options, "state[\(index)]")))
        }
        return (groups, states)
    }
}

extension StateRecord {
    /// The "params" indices of a saved group.
    fileprivate func savedIndices(in owner: String) throws -> [Int] {
        let value = try value("params", in: owner)
        guard case .list(let items) = value else {
            throw TorchError("\(owner)['params'] is a \(value.typeName), not a list")
        }
        return try items.map { item in
            guard case .int(let index) = item else {
                throw TorchError("\(owner)['params'] holds a \(item.typeName), not a parameter index")
            }
            return index
        }
    }
}
