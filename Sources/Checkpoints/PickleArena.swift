/// The object graph an unpickler builds, before it becomes `PickleValue`s.
///
/// Python containers are mutable and shared through the memo (a dict is memoised, then filled), so they
/// live here and refer to each other by index. Indices also keep teardown flat however deep a hostile
/// file nests containers, where a tree of class instances would deinitialise recursively.
struct PickleArena {
    typealias ID = Int

    enum Node {
        /// An immutable finished value: a scalar, a string, bytes.
        case value(PickleValue)
        case tuple([ID])
        /// Index into `lists`.
        case list(Int)
        /// Index into `sets`.
        case set(Int)
        /// Index into `dicts`.
        case dict(Int)
        /// Index into `objects`.
        case object(Int)
        case global(module: String, name: String)
        case storage(StorageRef)
        case tensor(TensorRef)
    }

    /// A dict being filled; a repeated key replaces the value in place, as in Python.
    struct DictData {
        var keys: [ID] = []
        var values: [ID] = []
        var positions: [HashKey: Int] = [:]
        var state: ID?
    }

    struct SetData {
        var items: [ID] = []
        var seen: Set<HashKey> = []
    }

    struct ObjectData {
        let module: String
        let name: String
        let arguments: [ID]
        let keywordArguments: ID?
        var state: ID?
        var listItems: [ID] = []
        var dictItems = DictData()
    }

    /// A Python value's identity as a dict key or set member. Python gives equal hashes to 1, 1.0 and True,
    /// so bools and integral floats become ints.
    enum HashKey: Hashable {
        case none
        case int(Int)
        case bigInt(PickleBigInt)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case tuple([HashKey])
        case global(String, String)
    }

    let file: String
    private(set) var nodes: [Node] = []
    private var lists: [[ID]] = []
    private var sets: [SetData] = []
    private var dicts: [DictData] = []
    private var objects: [ObjectData] = []

    /// Values nest at most this deep; deeper ones are rejected before Swift's recursion could overflow the stack.
    static let maxDepth = 200

    init(file: String) { self.file = file }

    func invalid(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }

    subscript(id: ID) -> Node { nodes[id] }

    mutating func add(_ node: Node) -> ID {
        nodes.append(node)
        return nodes.count - 1
    }

    mutating func add(value: PickleValue) -> ID { add(.value(value)) }

    mutating func newList(_ items: [ID] = []) -> ID {
        lists.append(items)
        return add(.list(lists.count - 1))
    }

    mutating func newDict() -> ID {
        dicts.append(DictData())
        return add(.dict(dicts.count - 1))
    }

    mutating func newSet() -> ID {
        sets.append(SetData())
        return add(.set(sets.count - 1))
    }

    mutating func newObject(module: String, name: String, arguments: [ID], keywordArguments: ID?) -> ID {
        objects.append(ObjectData(module: module, name: name, arguments: arguments, keywordArguments: keywordArguments))
        return add(.object(objects.count - 1))
    }

    /// A short name of a node's kind, for messages.
    func kind(_ id: ID) -> String {
        switch nodes[id] {
        case .value(let value): value.typeName
        case .tuple: "tuple"
        case .list: "list"
        case .set: "set"
        case .dict: "dict"
        case .object(let index): "\(objects[index].module).\(objects[index].name) object"
        case .global(let module, let name): "global \(module).\(name)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }

    // MARK: mutation, as APPEND, SETITEM, ADDITEMS and BUILD do it

    mutating func append(_ items: [ID], to target: ID) throws {
        switch nodes[target] {
        case .list(let index): lists[index].append(contentsOf: items)
        case .object(let index): objects[index].listItems.append(contentsOf: items)
        default: throw invalid("cannot append to a \(kind(target))")
        }
    }

    /// `pairs` alternates keys and values.
    mutating func setItems(_ pairs: ArraySlice<ID>, in target: ID) throws {
        guard pairs.count % 2 == 0 else { throw invalid("SETITEMS with an odd number of items") }
        switch nodes[target] {
        case .dict(let index):
            try insert(pairs, into: &dicts[index])
        case .object(let index):
            try insert(pairs, into: &objects[index].dictItems)
        default:
            throw invalid("cannot set items of a \(kind(target))")
        }
    }

    private func insert(_ pairs: ArraySlice<ID>, into dict: inout DictData) throws {
        var i = pairs.startIndex
        while i < pairs.endIndex {
            let key = pairs[i], value = pairs[i + 1]
            guard let hash = try hashKey(key) else { throw invalid("unhashable dict key of type \(kind(key))") }
            if let position = dict.positions[hash] {
                dict.values[position] = value
            } else {
                dict.positions[hash] = dict.keys.count
                dict.keys.append(key)
                dict.values.append(value)
            }
            i += 2
        }
    }

    mutating func addItems(_ items: [ID], to target: ID) throws {
        guard case .set(let index) = nodes[target] else { throw invalid("cannot add set items to a \(kind(target))") }
        for item in items {
            guard let hash = try hashKey(item) else { throw invalid("unhashable set member of type \(kind(item))") }
            if sets[index].seen.insert(hash).inserted { sets[index].items.append(item) }
        }
    }

    mutating func build(_ target: ID, state: ID) throws {
        switch nodes[target] {
        case .object(let index): objects[index].state = state
        case .dict(let index): dicts[index].state = state
        default: throw invalid("BUILD (setting state) on a \(kind(target))")
        }
    }

    /// The items of a list, tuple or set node, for constructor arguments.
    func items(of id: ID) -> [ID]? {
        switch nodes[id] {
        case .tuple(let items): items
        case .list(let index): lists[index]
        case .set(let index): sets[index].items
        default: nil
        }
    }

    /// A str node's text; a Python 2 str that stayed bytes is read as ASCII, as `torch.load` does.
    func text(_ id: ID) -> String? {
        switch nodes[id] {
        case .value(.string(let text)): text
        case .value(.bytes(let bytes)) where bytes.allSatisfy({ $0 < 0x80 }): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    func int(_ id: ID) -> Int? {
        if case .value(.int(let value)) = nodes[id] { value } else { nil }
    }

    /// The key/value pairs of a dict node.
    func pairs(of id: ID) -> [(ID, ID)]? {
        guard case .dict(let index) = nodes[id] else { return nil }
        return Array(zip(dicts[index].keys, dicts[index].values))
    }

    /// nil for values Python cannot hash (lists, dicts, objects, tensors).
    func hashKey(_ id: ID, depth: Int = 0) throws -> HashKey? {
        guard depth < Self.maxDepth else { throw invalid("dict key nested deeper than \(Self.maxDepth)") }
        switch nodes[id] {
        case .value(let value):
            switch value {
            case .none: return HashKey.none
            case .bool(let flag): return .int(flag ? 1 : 0)
            case .int(let number): return .int(number)
            case .bigInt(let number): return .bigInt(number)
            case .float(let number):
                if number.rounded() == number, let exact = Int(exactly: number) { return .int(exact) }
                return .float(number)
            case .string(let text): return .string(text)
            case .bytes(let bytes): return .bytes(bytes)
            default: return nil
            }
        case .tuple(let items):
            var keys: [HashKey] = []
            for item in items {
                guard let key = try hashKey(item, depth: depth + 1) else { return nil }
                keys.append(key)
            }
            return .tuple(keys)
        case .global(let module, let name):
            return .global(module, name)
        default:
            return nil
        }
    }

    // MARK: conversion to values

    /// The finished value of `root`, materialising tensors. Each node converts once, so values shared
    /// through the memo stay shared (and cheap); cycles, which only Python objects can have, are rejected.
    func value(of root: ID) throws -> PickleValue {
        var converter = Converter(arena: self)
        return try converter.convert(root, depth: 0)
    }

    private struct Converter {
        let arena: PickleArena
        var done: [ID: PickleValue] = [:]
        var active: Set<ID> = []

        mutating func convert(_ id: ID, depth: Int) throws -> PickleValue {
            if let value = done[id] { return value }
            guard depth < PickleArena.maxDepth else {
                throw arena.invalid("values nested deeper than \(PickleArena.maxDepth) levels")
            }
            guard active.insert(id).inserted else {
                throw arena.invalid("a \(arena.kind(id)) contains itself; self-referencing values are not supported")
            }
            defer { active.remove(id) }
            let value: PickleValue
            switch arena.nodes[id] {
            case .value(let finished):
                value = finished
            case .tuple(let items):
                value = .tuple(try all(items, depth))
            case .list(let index):
                value = .list(try all(arena.lists[index], depth))
            case .set(let index):
                value = .set(try all(arena.sets[index].items, depth))
            case .dict(let index):
                value = .dict(try dict(arena.dicts[index], depth))
            case .object(let index):
                let object = arena.objects[index]
                value = .object(PickleObject(
                    module: object.module,
                    name: object.name,
                    arguments: try all(object.arguments, depth),
                    keywordArguments: try object.keywordArguments.map { try convert($0, depth: depth + 1).dict() }
                        ?? PickleDict([]),
                    state: try object.state.map { try convert($0, depth: depth + 1) },
                    listItems: try all(object.listItems, depth),
                    dictItems: try dict(object.dictItems, depth)))
            case .global(let module, let name):
                value = .global(module: module, name: name)
            case .storage(let storage):
                let whole = try TensorRef(storage: storage, dtype: storage.slot.dtype, offset: 0,
                                          size: [storage.numel], stride: [1], file: arena.file)
                value = .tensor(try whole.materialize(file: arena.file))
            case .tensor(let tensor):
                value = .tensor(try tensor.materialize(file: arena.file))
            }
            done[id] = value
            return value
        }

        private mutating func all(_ ids: [ID], _ depth: Int) throws -> [PickleValue] {
            try ids.map { try convert($0, depth: depth + 1) }
        }

        private mutating func dict(_ data: DictData, _ depth: Int) throws -> PickleDict {
            var entries: [PickleDict.Element] = []
            entries.reserveCapacity(data.keys.count)
            for (key, value) in zip(data.keys, data.values) {
                entries.append((try convert(key, depth: depth + 1), try convert(value, depth: depth + 1)))
            }
            return PickleDict(entries, state: try data.state.map { try convert($0, depth: depth + 1) })
        }
    }
}
