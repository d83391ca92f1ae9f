/// Decodes a `Decodable` from YAML text (configuration files such as the Feature-Style trainer's `configs/*.yaml`).
///
/// A plain scalar reads as whatever type is asked of it, with PyYAML's YAML 1.1 spellings: booleans
/// `true/false/yes/no/on/off` in any of their three cases, null `~`/`null`/empty, integers with `_` separators or
/// `0x`, floats also as `1e-4` and `.inf`/`.nan`. A quoted scalar reads as a string only. A mismatch throws
/// `DecodingError.typeMismatch` whose coding path names the key and whose description names the line.
public struct YAMLDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try T(from: NodeDecoder(node: try YAMLNode.parse(text), codingPath: []))
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(intValue: Int) { (self.intValue, stringValue) = (intValue, "\(intValue)") }
    init?(stringValue: String) { nil }
}

private struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch<T>(_ type: T.Type, _ what: String) -> DecodingError {
        .typeMismatch(type, DecodingError.Context(codingPath: codingPath,
                                                   debugDescription: "line \(node.line): expected \(type), found \(what)"))
    }

    var kind: String {
        switch node.value {
        case .scalar(let text, _): "'\(text)'"
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs) = node.value else { throw mismatch([String: Any].self, kind) }
        let values = Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        return KeyedDecodingContainer(Keyed(decoder: self, values: values))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let items) = node.value else { throw mismatch([Any].self, kind) }
        return Unkeyed(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    func child(_ node: YAMLNode, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key])
    }

    // MARK: Scalars

    /// The text of a plain scalar; quoted scalars and collections are not numbers, booleans or null.
    func plain<T>(_ type: T.Type) throws -> String {
        guard case .scalar(let text, true) = node.value else { throw mismatch(type, kind) }
        return text
    }

    var isNull: Bool {
        guard case .scalar(let text, true) = node.value else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    func bool() throws -> Bool {
        let text = try plain(Bool.self)
        if ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"].contains(text) { return true }
        if ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"].contains(text) { return false }
        throw mismatch(Bool.self, kind)
    }

    func string() throws -> String {
        guard case .scalar(let text, _) = node.value else { throw mismatch(String.self, kind) }
        return text
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        var text = try plain(type).filter { $0 != "_" }
        var sign = ""
        if let first = text.first, first == "-" || first == "+" { sign = String(text.removeFirst()) }
        let value = text.hasPrefix("0x") ? T(sign + text.dropFirst(2), radix: 16) : T(sign + text, radix: 10)
        guard let value else { throw mismatch(type, kind) }
        return value
    }

    func float<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        let text = try plain(type).filter { $0 != "_" }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Swift also reads `inf`, `nan` and hex floats, which YAML spells otherwise or not at all.
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let value = T(text) else {
            throw mismatch(type, kind)
        }
        return value
    }

    /// Primitive types reach the scalar readers above through `Single`, as their `init(from:)` asks for it.
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let values: [String: YAMLNode]
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { values.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

    func child(_ key: Key) throws -> NodeDecoder {
        guard let node = values[key.stringValue] else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "line \(decoder.node.line): no key '\(key.stringValue)'"))
        }
        return decoder.child(node, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: NodeDecoder, items: [YAMLNode]) { (self.decoder, self.items) = (decoder, items) }

    /// The next item's decoder; the index moves on only once the item decoded.
    mutating func next<T>(_ body: (NodeDecoder) throws -> T) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(T.self, DecodingError.Context(
                codingPath: codingPath + [IndexKey(intValue: currentIndex)],
                debugDescription: "line \(decoder.node.line): the sequence has only \(items.count) items"))
        }
        let value = try body(decoder.child(items[currentIndex], IndexKey(intValue: currentIndex)))
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, decoder.child(items[currentIndex], IndexKey(intValue: currentIndex)).isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.decode(type) } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try $0.decode(type) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try $0.decode(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next { try $0.decode(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next { try $0.decode(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next { try $0.decode(type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next { try $0.decode(type) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next { try $0.container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next { try $0.unkeyedContainer() } }
    mutating func superDecoder() throws -> any Decoder { try next { $0 } }
}

private struct Single: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.float(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.float(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
}
