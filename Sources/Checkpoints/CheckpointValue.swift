import Torch

/// A value `TorchCheckpoint.save` writes: the Python data training checkpoints hold.
///
/// It is the writing side of `PickleValue`, with the distinctions a writer must make that a reader can blur
/// (a plain dict or an `OrderedDict`, an `argparse.Namespace`).
public indirect enum CheckpointValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([CheckpointValue])
    case tuple([CheckpointValue])
    /// A dict, in this order.
    case dict([(key: CheckpointValue, value: CheckpointValue)])
    /// A `collections.OrderedDict` with string keys, as `nn.Module.state_dict()` returns.
    case orderedDict([(key: String, value: CheckpointValue)])
    /// A tensor, written as a contiguous copy on the CPU; the same `Tensor` object twice is written once.
    case tensor(Tensor)
    /// An `argparse.Namespace` with these attributes, as rosinality's checkpoints hold their `args`.
    case namespace([(name: String, value: CheckpointValue)])
}

extension CheckpointValue {
    /// A dict with string keys, in this order.
    public static func dict(_ entries: KeyValuePairs<String, CheckpointValue>) -> CheckpointValue {
        .dict(entries.map { (key: .string($0.key), value: $0.value) })
    }

    /// A module state dict as PyTorch saves it: an `OrderedDict` of tensors, in order.
    public init(_ stateDict: StateDict) {
        self = .orderedDict(stateDict.map { (key: $0.name, value: .tensor($0.tensor)) })
    }

    /// A value read from a checkpoint, to write again: dicts and OrderedDicts become dicts, and of the inert
    /// objects only `argparse.Namespace` can be written.
    public init(_ value: PickleValue) throws {
        switch value {
        case .none: self = .none
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .float(let number): self = .float(number)
        case .string(let text): self = .string(text)
        case .list(let items): self = .list(try items.map(CheckpointValue.init))
        case .tuple(let items): self = .tuple(try items.map(CheckpointValue.init))
        case .dict(let dict):
            self = .dict(try dict.map { (key: try CheckpointValue($0.key), value: try CheckpointValue($0.value)) })
        case .tensor(let tensor): self = .tensor(tensor)
        case .object(let object) where object.qualifiedName == "argparse.Namespace":
            self = .namespace(try object.attributes.map { entry in
                guard case .string(let name) = entry.key else {
                    throw CheckpointError.unsupported(file: "", message: "a Namespace attribute named by a \(entry.key.typeName)")
                }
                return (name: name, value: try CheckpointValue(entry.value))
            })
        case .bigInt, .bytes, .set, .global, .object:
            throw CheckpointError.unsupported(file: "", message: "writing a \(value.typeName) into a checkpoint")
        }
    }
}
