import Torch

/// Optimiser and scheduler states to and from checkpoint values, in PyTorch's `state_dict()` layout, so a
/// checkpoint written here resumes in PyTorch and the other way round.
extension CheckpointValue {
    /// `optimizer.state_dict()` as `torch.save` writes it: {"state": {index: {...}}, "param_groups": [...]},
    /// parameter indices in ascending order.
    public init(_ state: OptimizerState) {
        let entries = state.state.sorted { $0.key < $1.key }.map { (key: CheckpointValue.int($0.key), value: CheckpointValue($0.value)) }
        self = .dict(["state": .dict(entries), "param_groups": .list(state.paramGroups.map(CheckpointValue.init))])
    }

    /// A scheduler's (or any) state record as a dict with string keys, in its order.
    public init(_ record: StateRecord) {
        self = .dict(record.map { (key: .string($0.key), value: CheckpointValue($0.value)) })
    }

    init(_ value: StateValue) {
        switch value {
        case .none: self = .none
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .double(let number): self = .float(number)
        case .string(let text): self = .string(text)
        case .tensor(let tensor): self = .tensor(tensor)
        case .list(let items): self = .list(items.map(CheckpointValue.init))
        case .tuple(let items): self = .tuple(items.map(CheckpointValue.init))
        }
    }
}

extension OptimizerState {
    /// An `optimizer.state_dict()` read from a checkpoint; errors name the part that is not as PyTorch writes it.
    public init(_ value: PickleValue) throws {
        let name = "optimizer state"
        let dict = try value.dictionary(in: name)
        guard let state = dict["state"], let groups = dict["param_groups"] else {
            throw CheckpointError.lookup(file: "", message: "\(name) lacks 'state' or 'param_groups' (has: "
                + "\(dict.stringKeys.joined(separator: ", ")))")
        }
        var entries: [Int: StateRecord] = [:]
        for (key, record) in try state.dictionary(in: "\(name)['state']") {
            guard case .int(let index) = key else {
                throw CheckpointError.lookup(file: "", message:
                    "\(name)['state'] is keyed by a \(key.typeName), not a parameter index")
            }
            entries[index] = try StateRecord(record, in: "\(name)['state'][\(index)]")
        }
        guard case .list(let groupValues) = groups else {
            throw CheckpointError.lookup(file: "", message: "\(name)['param_groups'] is a \(groups.typeName), not a list")
        }
        let records = try groupValues.enumerated().map { try StateRecord($1, in: "\(name)['param_groups'][\($0)]") }
        self.init(state: entries, paramGroups: records)
    }
}

extension StateRecord {
    /// A dict with string keys read from a checkpoint, such as a scheduler's `state_dict()`.
    public init(_ value: PickleValue) throws { try self.init(value, in: "state dict") }

    init(_ value: PickleValue, in name: String) throws {
        self.init()
        for (key, item) in try value.dictionary(in: name) {
            guard case .string(let text) = key else {
                throw CheckpointError.lookup(file: "", message: "\(name) has a \(key.typeName) key, not a str")
            }
            self[text] = try StateValue(item, in: "\(name)['\(text)']")
        }
    }
}

extension StateValue {
    init(_ value: PickleValue, in name: String) throws {
        switch value {
        case .none: self = .none
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .float(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .tensor(let tensor): self = .tensor(tensor)
        case .list(let items):
            self = .list(try items.enumerated().map { try StateValue($1, in: "\(name)[\($0)]") })
        case .tuple(let items):
            self = .tuple(try items.enumerated().map { try StateValue($1, in: "\(name)[\($0)]") })
        case .bigInt, .bytes, .set, .dict, .global, .object:
            throw CheckpointError.lookup(file: "", message: "\(name) is a \(value.typeName), which optimiser and "
                + "scheduler states do not hold")
        }
    }
}

extension PickleValue {
    fileprivate func dictionary(in name: String) throws -> PickleDict {
        guard case .dict(let dict) = self else {
            throw CheckpointError.lookup(file: "", message: "\(name) is a \(typeName), not a dict")
        }
        return dict
    }
}
