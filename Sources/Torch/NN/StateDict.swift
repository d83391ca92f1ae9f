/// Named tensors in PyTorch's order, as `state_dict()` returns them: iterated as ordered `(name, tensor)` pairs
/// (what a checkpoint writer needs) and looked up by dotted name.
public struct StateDict: RandomAccessCollection, Sendable {
    public typealias Element = (name: String, tensor: Tensor)

    /// Names in order.
    public private(set) var names: [String] = []
    private var tensors: [String: Tensor] = [:]

    public init() {}

    /// A repeated name keeps its first position and its last tensor.
    public init(_ entries: some Sequence<(String, Tensor)>) {
        for (name, tensor) in entries { self[name] = tensor }
    }

    public var startIndex: Int { names.startIndex }
    public var endIndex: Int { names.endIndex }
    public subscript(position: Int) -> Element { (names[position], tensors[names[position]]!) }

    /// The tensor under `name`; setting a new name appends it, setting nil removes it.
    public subscript(name: String) -> Tensor? {
        get { tensors[name] }
        set {
            if let newValue {
                if tensors.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if tensors.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The same tensors, unordered, as `Module.load(stateDict:)` takes them.
    public var dictionary: [String: Tensor] { tensors }
}

/// Keys skipped by a non-strict `load(stateDict:strict:)`, as PyTorch's `_IncompatibleKeys`.
public struct IncompatibleKeys: Equatable, Sendable {
    /// Module keys the state dict lacked; those tensors kept their values.
    public let missingKeys: [String]
    /// State-dict keys the module has no tensor for (sorted).
    public let unexpectedKeys: [String]

    public init(missingKeys: [String], unexpectedKeys: [String]) {
        self.missingKeys = missingKeys
        self.unexpectedKeys = unexpectedKeys
    }
}

/// Every problem found while loading a state dict, reported at once so one run shows all that needs fixing.
public struct StateDictError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct ShapeMismatch: Equatable, Sendable {
        public let key: String
        /// The module's shape.
        public let expected: [Int]
        /// The checkpoint's shape.
        public let found: [Int]

        public init(key: String, expected: [Int], found: [Int]) {
            self.key = key
            self.expected = expected
            self.found = found
        }
    }

    public let moduleType: String
    public let missingKeys: [String]
    public let unexpectedKeys: [String]
    public let shapeMismatches: [ShapeMismatch]

    public init(moduleType: String, missingKeys: [String], unexpectedKeys: [String], shapeMismatches: [ShapeMismatch]) {
        self.moduleType = moduleType
        self.missingKeys = missingKeys
        self.unexpectedKeys = unexpectedKeys
        self.shapeMismatches = shapeMismatches
    }

    /// PyTorch's wording, one line per kind of problem and per mismatched key.
    public var description: String {
        var lines = ["Error(s) in loading state_dict for \(moduleType):"]
        func quoted(_ keys: [String]) -> String { keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if !missingKeys.isEmpty { lines.append("\tMissing key(s) in state_dict: \(quoted(missingKeys)).") }
        if !unexpectedKeys.isEmpty { lines.append("\tUnexpected key(s) in state_dict: \(quoted(unexpectedKeys)).") }
        for m in shapeMismatches {
            lines.append("\tsize mismatch for \(m.key): copying a param with shape \(m.found) from checkpoint, "
                + "the shape in current model is \(m.expected).")
        }
        return lines.joined(separator: "\n")
    }
}
