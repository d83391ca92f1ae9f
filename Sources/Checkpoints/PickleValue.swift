import Torch

/// A value read by the restricted unpickler: plain Python data, tensors, and inert records of everything else.
///
/// Nothing in a pickle is ever run. Containers PyTorch checkpoints use are rebuilt (dict, OrderedDict, list,
/// tuple, set, bytes, tensors and parameters); any other class or function call becomes an `.object` that
/// records what the pickle asked for, so its contents can still be read.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An int beyond 64 bits (LONG1/LONG4).
    case bigInt(PickleBigInt)
    case float(Double)
    case string(String)
    /// `bytes` and `bytearray`.
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// `set` and `frozenset`, in pickle order.
    case set([PickleValue])
    /// `dict` and `collections.OrderedDict`, in insertion order.
    case dict(PickleDict)
    /// A tensor or `nn.Parameter` (views of one storage share it, as in PyTorch).
    case tensor(Tensor)
    /// A class or function the pickle names without calling, such as the dtype `torch.float32`.
    case global(module: String, name: String)
    /// An instance of a class this library does not rebuild, recorded inertly.
    case object(PickleObject)
}

extension PickleValue {
    /// Python's name for the kind of value, for messages: "dict", "tensor", "argparse.Namespace".
    public var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .list: "list"
        case .tuple: "tuple"
        case .set: "set"
        case .dict: "dict"
        case .tensor: "tensor"
        case .global(let module, let name): "global \(module).\(name)"
        case .object(let object): object.qualifiedName
        }
    }

    /// Whether this is Python's None.
    public var isNone: Bool {
        if case .none = self { true } else { false }
    }

    private func mismatch(_ wanted: String) -> CheckpointError {
        .lookup(file: "", message: "expected \(wanted), found \(typeName)")
    }

    /// The value stored under a string key of a dict.
    public subscript(key: String) -> PickleValue {
        get throws {
            guard case .dict(let dict) = self else {
                throw CheckpointError.lookup(file: "", message: "cannot look up key '\(key)' in a \(typeName)")
            }
            guard let value = dict[key] else {
                let known = dict.stringKeys.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
                let more = dict.count > 8 ? ", ..." : ""
                throw CheckpointError.lookup(file: "", message: "no key '\(key)' in dict (keys: \(known)\(more))")
            }
            return value
        }
    }

    /// The element at `index` of a list or tuple.
    public subscript(index: Int) -> PickleValue {
        get throws {
            let items: [PickleValue]
            switch self {
            case .list(let values), .tuple(let values): items = values
            default: throw CheckpointError.lookup(file: "", message: "cannot index a \(typeName)")
            }
            guard items.indices.contains(index) else {
                throw CheckpointError.lookup(file: "", message:
                    "index \(index) out of range for \(typeName) of \(items.count)")
            }
            return items[index]
        }
    }

    /// An attribute of an inert object, e.g. a field of an `argparse.Namespace`.
    public func attribute(_ name: String) throws -> PickleValue {
        guard case .object(let object) = self else {
            throw CheckpointError.lookup(file: "", message: "a \(typeName) has no attributes (asked for '\(name)')")
        }
        return try object.attribute(name)
    }

    /// The tensor, or a lookup error naming what the value is instead.
    public func tensor() throws -> Tensor {
        guard case .tensor(let tensor) = self else { throw mismatch("a tensor") }
        return tensor
    }

    /// An int; a Python bool counts, as it does in Python.
    public func int() throws -> Int {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value ? 1 : 0
        case .bigInt(let value):
            throw CheckpointError.lookup(file: "", message: "integer \(value) does not fit in a 64-bit Int")
        default: throw mismatch("an int")
        }
    }

    /// A float, or an int converted to one.
    public func double() throws -> Double {
        switch self {
        case .float(let value): return value
        case .int(let value): return Double(value)
        default: throw mismatch("a float")
        }
    }

    /// A bool (not an int: Python writes flags as True/False).
    public func bool() throws -> Bool {
        guard case .bool(let value) = self else { throw mismatch("a bool") }
        return value
    }

    /// A str.
    public func string() throws -> String {
        guard case .string(let value) = self else { throw mismatch("a str") }
        return value
    }

    /// A bytes or bytearray.
    public func bytes() throws -> [UInt8] {
        guard case .bytes(let value) = self else { throw mismatch("bytes") }
        return value
    }

    /// The elements of a list, tuple or set.
    public func elements() throws -> [PickleValue] {
        switch self {
        case .list(let values), .tuple(let values), .set(let values): return values
        default: throw mismatch("a list, tuple or set")
        }
    }

    /// A dict or OrderedDict.
    public func dict() throws -> PickleDict {
        guard case .dict(let value) = self else { throw mismatch("a dict") }
        return value
    }

    /// An inert object (an instance of a class that is not rebuilt).
    public func object() throws -> PickleObject {
        guard case .object(let value) = self else { throw mismatch("an object") }
        return value
    }
}
