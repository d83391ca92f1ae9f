import Torch

/// Named tensors in a fixed order, like a PyTorch `state_dict`: looked up by name, iterated in order.
public struct StateDict: Sendable, RandomAccessCollection {
    public typealias Element = (name: String, tensor: Tensor)

    /// The names, in order.
    public private(set) var names: [String] = []
    private var tensorsByName: [String: Tensor] = [:]

    /// An empty state dict.
    public init() {}

    /// Keeps the first position of a repeated name and its last tensor.
    public init(_ entries: some Sequence<(String, Tensor)>) {
        for (name, tensor) in entries { self[name] = tensor }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { names.count }
    public subscript(position: Int) -> Element { (names[position], tensorsByName[names[position]]!) }

    /// The tensor under `name`; setting appends a new name at the end, setting nil removes it.
    public subscript(name: String) -> Tensor? {
        get { tensorsByName[name] }
        set {
            if let newValue {
                if tensorsByName.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if tensorsByName.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The tensor under `name`, or an error that lists a few names that do exist.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensorsByName[name] else {
            let known = names.prefix(8).joined(separator: ", ")
            let more = count > 8 ? ", ..." : ""
            throw CheckpointError.lookup(file: "", message: "no tensor '\(name)' (\(count) tensors: \(known)\(more))")
        }
        return tensor
    }

    /// The same tensors as an unordered dictionary, e.g. for `Safetensors.write`.
    public var dictionary: [String: Tensor] { tensorsByName }
}

extension PickleValue {
    /// Nesting below which `stateDict` looks for tensors; deeper values are hostile or not weights.
    private static let maxStateDictDepth = 64
    /// Values `stateDict` may visit; a pickle can share one dict many times over, so walking its keys
    /// naively could take exponential time.
    private static let maxStateDictVisits = 1_000_000

    /// Every tensor under this dict, with nested dict keys joined by `separator` ("g_ema.conv1.weight"),
    /// in dict order. Values that are neither dicts nor tensors (ints, None, objects) are skipped.
    public func stateDict(separator: String = ".") throws -> StateDict {
        guard case .dict = self else {
            throw CheckpointError.lookup(file: "", message: "a state dict must be a dict, found \(typeName)")
        }
        var result = StateDict()
        var visits = 0
        func walk(_ value: PickleValue, prefix: String, depth: Int) throws {
            visits += 1
            guard visits <= Self.maxStateDictVisits, depth <= Self.maxStateDictDepth else {
                throw CheckpointError.lookup(file: "", message: "state dict is nested too deeply or shares too much")
            }
            switch value {
            case .tensor(let tensor):
                result[prefix] = tensor
            case .dict(let dict):
                for (key, child) in dict {
                    let name: String
                    switch key {
                    case .string(let text): name = text
                    case .int(let number): name = String(number)
                    default: continue
                    }
                    try walk(child, prefix: prefix.isEmpty ? name : prefix + separator + name, depth: depth + 1)
                }
            default:
                break
            }
        }
        try walk(self, prefix: "", depth: 0)
        return result
    }
}
