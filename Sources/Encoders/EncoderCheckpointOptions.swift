import Checkpoints
import Foundation

/// The training options an encoder checkpoint records (`ckpt['opts']`: a dict of argparse values in pSp, e4e,
/// ReStyle and E2Style files, an `argparse.Namespace` in others), kept as plain values so that `convert` can
/// write them to safetensors metadata as JSON and loaders read both the same way.
public struct EncoderOptions: Equatable, Sendable, Codable {
    /// One option value; tensors, objects and nested dicts are not options and are dropped.
    public enum Value: Equatable, Sendable, Codable {
        case none
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case list([Value])

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .none }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .int(i) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .list(try c.decode([Value].self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .none: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .int(let i): try c.encode(i)
            case .double(let d): try c.encode(d)
            case .string(let s): try c.encode(s)
            case .list(let l): try c.encode(l)
            }
        }

        /// The Python value, or nil for anything that is not an option.
        init?(_ value: PickleValue) {
            switch value {
            case .none: self = .none
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .int(i)
            case .float(let d): self = .double(d)
            case .string(let s): self = .string(s)
            case .list(let items), .tuple(let items):
                let values = items.compactMap(Value.init)
                guard values.count == items.count else { return nil }
                self = .list(values)
            default: return nil
            }
        }

        /// As Python prints it, for `stylegan info`.
        public var description: String {
            switch self {
            case .none: "None"
            case .bool(let b): b ? "True" : "False"
            case .int(let i): String(i)
            case .double(let d): String(d)
            case .string(let s): s
            case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
            }
        }
    }

    public var values: [String: Value]

    public init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    /// Reads `opts` as saved: a dict, or an object whose attributes are the options (argparse.Namespace).
    public init(pickle: PickleValue) throws {
        let entries: PickleDict
        switch pickle {
        case .dict(let dict): entries = dict
        case .object(let object): entries = object.attributes
        default: throw CheckpointError.lookup(file: "", message: "opts must be a dict or an argparse.Namespace, found \(pickle.typeName)")
        }
        var values: [String: Value] = [:]
        for (key, value) in entries {
            if case .string(let name) = key, let option = Value(value) { values[name] = option }
        }
        self.init(values)
    }

    public init(json: String) throws {
        self.init(try JSONDecoder().decode([String: Value].self, from: Data(json.utf8)))
    }

    /// Sorted keys, so the same options always give the same text.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(values), as: UTF8.self)
    }

    /// A string option; nil when absent or None. Other kinds throw, naming the option.
    public func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil, .none?: return nil
        case .string(let s)?: return s
        case let other?: throw mismatch(key, other, "a string")
        }
    }

    /// An int option (Python writes whole floats as ints in some configs; those count).
    public func int(_ key: String) throws -> Int? {
        switch values[key] {
        case nil, .none?: return nil
        case .int(let i)?: return i
        case .double(let d)? where d == d.rounded() && abs(d) < 1e15: return Int(d)
        case let other?: throw mismatch(key, other, "an int")
        }
    }

    /// A flag (store_true options are bools; 0 and 1 count).
    public func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil, .none?: return nil
        case .bool(let b)?: return b
        case .int(let i)? where i == 0 || i == 1: return i == 1
        case let other?: throw mismatch(key, other, "a bool")
        }
    }

    /// "key=value" for the given keys that are present, for `stylegan info`.
    public func summary(_ keys: [String]) -> String {
        keys.compactMap { key in values[key].map { "\(key)=\($0.description)" } }.joined(separator: ", ")
    }

    private func mismatch(_ key: String, _ value: Value, _ wanted: String) -> CheckpointError {
        .invalid(file: "", message: "opts.\(key) should be \(wanted), found \(value.description)")
    }
}
