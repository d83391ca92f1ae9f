import Torch

extension StateDict {
    /// The tensor under `name`, or an error that lists a few names that do exist.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = self[name] else {
            let known = names.prefix(8).joined(separator: ", ")
            let more = count > 8 ? ", ..." : ""
            throw CheckpointError.lookup(file: "", message: "no tensor '\(name)' (\(count) tensors: \(known)\(more))")
        }
        return tensor
    }
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
