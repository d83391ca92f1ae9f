/// An instance of a class the unpickler does not rebuild (argparse.Namespace, a numpy scalar, a model class),
/// recorded as what the pickle asked for: the class, its constructor arguments and the state BUILD set.
public struct PickleObject: Sendable {
    /// The class's module, e.g. "argparse".
    public let module: String
    /// The class's name, e.g. "Namespace".
    public let name: String
    /// Positional arguments of the REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ that made it.
    public let arguments: [PickleValue]
    /// Keyword arguments of NEWOBJ_EX.
    public let keywordArguments: PickleDict
    /// The state BUILD passed to `__setstate__`; for plain objects a dict of attributes.
    public let state: PickleValue?
    /// Items APPEND/APPENDS added (list subclasses).
    public let listItems: [PickleValue]
    /// Items SETITEM/SETITEMS added (dict subclasses).
    public let dictItems: PickleDict

    /// "module.name", e.g. "argparse.Namespace".
    public var qualifiedName: String { "\(module).\(name)" }

    /// The instance attributes: the state dict, merged with the slot dict when the state is `(dict, slots)`.
    public var attributes: PickleDict {
        switch state {
        case .dict(let dict):
            return dict
        case .tuple(let parts) where parts.count == 2:
            // Slot values win over equal names in the instance dict, as Python applies them second.
            var entries: [PickleDict.Element] = []
            var positions: [String: Int] = [:]
            for case .dict(let dict) in parts {
                for entry in dict {
                    if case .string(let key) = entry.key, let position = positions[key] {
                        entries[position] = entry
                    } else {
                        if case .string(let key) = entry.key { positions[key] = entries.count }
                        entries.append(entry)
                    }
                }
            }
            return PickleDict(entries)
        default:
            return PickleDict([])
        }
    }

    /// One of `attributes`, or a lookup error listing the names there are.
    public func attribute(_ name: String) throws -> PickleValue {
        guard let value = attributes[name] else {
            let known = attributes.stringKeys.prefix(12).joined(separator: ", ")
            throw CheckpointError.lookup(file: "", message:
                "\(qualifiedName) has no attribute '\(name)' (has: \(known))")
        }
        return value
    }
}
