import Foundation
import Torch

/// A parsed JSON document whose typed accessors throw an error naming the source and the place in it, so that a
/// malformed or unexpected file fails the one test that reads it instead of crashing the process as `as!` would.
public struct JSON: Sendable, CustomStringConvertible {
    public enum Value: Sendable, Equatable, Decodable {
        case null, bool(Bool), number(Double), string(String), array([Value]), object([String: Value])

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { self = .null }
            else if let value = try? single.decode(Bool.self) { self = .bool(value) }
            else if let value = try? single.decode(Double.self) { self = .number(value) }
            else if let value = try? single.decode(String.self) { self = .string(value) }
            else if let value = try? single.decode([Value].self) { self = .array(value) }
            else { self = .object(try single.decode([String: Value].self)) }
        }
    }

    public let value: Value
    /// Where this value sits: the source, then keys and indices (`stdout.rows[0].mean`).
    public let path: String

    public init(_ value: Value, path: String) {
        self.value = value
        self.path = path
    }

    /// Parses `data`, named `source` in errors.
    public init(parsing data: Data, source: String) throws {
        do {
            self.init(try JSONDecoder().decode(Value.self, from: data), path: source)
        } catch {
            throw TorchError("\(source): not JSON (\(error)): \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    /// Parses `text`, named `source` in errors.
    public init(parsing text: String, source: String) throws { try self.init(parsing: Data(text.utf8), source: source) }

    /// Parses the file at `path`.
    public init(contentsOf path: String) throws {
        try self.init(parsing: try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
    }

    /// One document per non-empty line (JSON Lines), named `source` and the line number in errors.
    public static func lines(_ text: String, source: String) throws -> [JSON] {
        try text.split(separator: "\n").enumerated().map { i, line in
            try JSON(parsing: String(line), source: "\(source) line \(i + 1)")
        }
    }

    public var description: String { "\(path): \(value)" }

    /// The member `key` of an object.
    public subscript(key: String) -> JSON {
        get throws {
            guard case .object(let members) = value else { throw mismatch("an object") }
            guard let member = members[key] else {
                throw TorchError("\(path): no member \"\(key)\" (has \(members.keys.sorted()))")
            }
            return JSON(member, path: "\(path).\(key)")
        }
    }

    /// Element `index` of an array.
    public subscript(index: Int) -> JSON {
        get throws {
            let elements = try array()
            guard elements.indices.contains(index) else {
                throw TorchError("\(path): no element \(index) in \(elements.count)")
            }
            return elements[index]
        }
    }

    public func array() throws -> [JSON] {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        return elements.enumerated().map { JSON($1, path: "\(path)[\($0)]") }
    }

    public func object() throws -> [String: JSON] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return Dictionary(uniqueKeysWithValues: members.map { ($0, JSON($1, path: "\(path).\($0)")) })
    }

    public func double() throws -> Double {
        guard case .number(let number) = value else { throw mismatch("a number") }
        return number
    }

    /// A number with no fractional part.
    public func int() throws -> Int {
        let number = try double()
        guard let integer = Int(exactly: number) else { throw mismatch("an integer") }
        return integer
    }

    public func string() throws -> String {
        guard case .string(let string) = value else { throw mismatch("a string") }
        return string
    }

    public func bool() throws -> Bool {
        guard case .bool(let bool) = value else { throw mismatch("true or false") }
        return bool
    }

    public var isNull: Bool { value == .null }

    private func mismatch(_ expected: String) -> TorchError {
        TorchError("\(path): expected \(expected), found \(value)")
    }
}
