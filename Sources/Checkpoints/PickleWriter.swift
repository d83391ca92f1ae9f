import Torch

/// Writes a `CheckpointValue` as a protocol 2 pickle laid out as CPython's pickler lays out what `torch.save`
/// gives it: strings and globals memoised, containers filled in batches of 1000, tensors as
/// `torch._utils._rebuild_tensor_v2` calls on a persistent storage id.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [Op.proto, 2]
    /// Called once per distinct tensor: its storage's key and the legacy storage class's name.
    private let storage: (Tensor) throws -> (key: String, storageClass: String)
    private var memoCount = 0
    private var strings: [String: Int] = [:]
    private var globals: [String: Int] = [:]
    private var tensors: [ObjectIdentifier: Int] = [:]
    private static let batchSize = 1000

    init(storage: @escaping (Tensor) throws -> (key: String, storageClass: String)) {
        self.storage = storage
    }

    /// The pickle of `value`, ending with STOP.
    static func encode(_ value: CheckpointValue,
                       storage: @escaping (Tensor) throws -> (key: String, storageClass: String)) throws -> [UInt8]
    {
        var writer = PickleWriter(storage: storage)
        try writer.write(value)
        writer.bytes.append(Op.stop)
        return writer.bytes
    }

    private enum Op {
        static let proto: UInt8 = 0x80, stop = UInt8(ascii: "."), none = UInt8(ascii: "N")
        static let newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89
        static let binInt1 = UInt8(ascii: "K"), binInt2 = UInt8(ascii: "M"), binInt = UInt8(ascii: "J")
        static let long1: UInt8 = 0x8A, binFloat = UInt8(ascii: "G"), binUnicode = UInt8(ascii: "X")
        static let mark = UInt8(ascii: "("), emptyTuple = UInt8(ascii: ")"), tuple = UInt8(ascii: "t")
        static let tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87
        static let emptyList = UInt8(ascii: "]"), append = UInt8(ascii: "a"), appends = UInt8(ascii: "e")
        static let emptyDict = UInt8(ascii: "}"), setItem = UInt8(ascii: "s"), setItems = UInt8(ascii: "u")
        static let global = UInt8(ascii: "c"), reduce = UInt8(ascii: "R"), build = UInt8(ascii: "b")
        static let newObj: UInt8 = 0x81, binPersId = UInt8(ascii: "Q")
        static let binPut = UInt8(ascii: "q"), longBinPut = UInt8(ascii: "r")
        static let binGet = UInt8(ascii: "h"), longBinGet = UInt8(ascii: "j")
    }

    private mutating func write(_ value: CheckpointValue) throws {
        switch value {
        case .none: bytes.append(Op.none)
        case .bool(let flag): bytes.append(flag ? Op.newTrue : Op.newFalse)
        case .int(let number): write(int: number)
        case .float(let number):
            bytes.append(Op.binFloat)
            withUnsafeBytes(of: number.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        case .string(let text): write(string: text)
        case .list(let items):
            bytes.append(Op.emptyList)
            try batched(items.count, one: Op.append, many: Op.appends) { try $0.write(items[$1]) }
        case .tuple(let items): try write(tuple: items.map { item in { try $0.write(item) } })
        case .dict(let entries):
            bytes.append(Op.emptyDict)
            try write(items: entries)
        case .orderedDict(let entries):
            global("collections", "OrderedDict")
            bytes.append(contentsOf: [Op.emptyTuple, Op.reduce])
            try write(items: entries.map { (key: .string($0.key), value: $0.value) })
        case .tensor(let tensor): try write(tensor: tensor)
        case .namespace(let attributes):
            // argparse.Namespace.__new__(Namespace), then its __dict__ set by BUILD, as protocol 2 pickles objects.
            global("argparse", "Namespace")
            bytes.append(contentsOf: [Op.emptyTuple, Op.newObj, Op.emptyDict])
            try write(items: attributes.map { (key: .string($0.name), value: $0.value) })
            bytes.append(Op.build)
        }
    }

    /// CPython's `save_long`: the shortest of BININT1, BININT2, BININT, else LONG1 (two's complement, little-endian).
    private mutating func write(int number: Int) {
        switch number {
        case 0...0xFF:
            bytes.append(contentsOf: [Op.binInt1, UInt8(number)])
        case 0...0xFFFF:
            bytes.append(Op.binInt2)
            bytes.le(UInt16(number))
        case Int(Int32.min)...Int(Int32.max):
            bytes.append(Op.binInt)
            bytes.le(Int32(number))
        default:
            var encoded: [UInt8] = []
            encoded.le(Int64(number))
            // Drop sign-extension bytes the byte below already implies.
            while encoded.count > 1 {
                let last = encoded[encoded.count - 1], below = encoded[encoded.count - 2]
                guard (last == 0 && below & 0x80 == 0) || (last == 0xFF && below & 0x80 != 0) else { break }
                encoded.removeLast()
            }
            bytes.append(contentsOf: [Op.long1, UInt8(encoded.count)])
            bytes.append(contentsOf: encoded)
        }
    }

    private mutating func write(string text: String) {
        if let index = strings[text] { return get(index) }
        let utf8 = Array(text.utf8)
        bytes.append(Op.binUnicode)
        bytes.le(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
        strings[text] = put()
    }

    private mutating func write(tuple items: [(inout PickleWriter) throws -> Void]) throws {
        guard !items.isEmpty else { return bytes.append(Op.emptyTuple) }
        if items.count > 3 { bytes.append(Op.mark) }
        for item in items { try item(&self) }
        switch items.count {
        case 1: bytes.append(Op.tuple1)
        case 2: bytes.append(Op.tuple2)
        case 3: bytes.append(Op.tuple3)
        default: bytes.append(Op.tuple)
        }
    }

    private mutating func write(items entries: [(key: CheckpointValue, value: CheckpointValue)]) throws {
        try batched(entries.count, one: Op.setItem, many: Op.setItems) { writer, i in
            try writer.write(entries[i].key)
            try writer.write(entries[i].value)
        }
    }

    /// Writes `count` elements in batches: MARK elements `many` per batch, or element `one` for a batch of one.
    private mutating func batched(_ count: Int, one: UInt8, many: UInt8,
                                  _ element: (inout PickleWriter, Int) throws -> Void) throws
    {
        for start in stride(from: 0, to: count, by: Self.batchSize) {
            let end = min(start + Self.batchSize, count)
            if end - start > 1 { bytes.append(Op.mark) }
            for i in start..<end { try element(&self, i) }
            bytes.append(end - start > 1 ? many : one)
        }
    }

    /// `_rebuild_tensor_v2(storage, offset 0, size, contiguous stride, requires_grad, OrderedDict())`.
    private mutating func write(tensor: Tensor) throws {
        if let index = tensors[ObjectIdentifier(tensor)] { return get(index) }
        let (key, storageClass) = try storage(tensor)
        let shape = tensor.shape
        var strides = [Int](repeating: 1, count: shape.count)
        for i in shape.indices.dropLast().reversed() { strides[i] = strides[i + 1] * max(shape[i + 1], 1) }

        global("torch._utils", "_rebuild_tensor_v2")
        bytes.append(Op.mark)
        try write(tuple: [
            { $0.write(string: "storage") }, { $0.global("torch", storageClass) }, { $0.write(string: key) },
            { $0.write(string: "cpu") }, { $0.write(int: tensor.count) },
        ])
        bytes.append(Op.binPersId)
        write(int: 0)
        try write(tuple: shape.map { n in { $0.write(int: n) } })
        try write(tuple: strides.map { n in { $0.write(int: n) } })
        bytes.append(tensor.requiresGrad ? Op.newTrue : Op.newFalse)
        global("collections", "OrderedDict")
        bytes.append(contentsOf: [Op.emptyTuple, Op.reduce, Op.tuple, Op.reduce])
        tensors[ObjectIdentifier(tensor)] = put()
    }

    private mutating func global(_ module: String, _ name: String) {
        let key = module + "\n" + name
        if let index = globals[key] { return get(index) }
        bytes.append(Op.global)
        bytes.append(contentsOf: Array((key + "\n").utf8))
        globals[key] = put()
    }

    /// Memoises the object just written and returns its memo index.
    private mutating func put() -> Int {
        let index = memoCount
        memoCount += 1
        if index < 256 {
            bytes.append(contentsOf: [Op.binPut, UInt8(index)])
        } else {
            bytes.append(Op.longBinPut)
            bytes.le(UInt32(index))
        }
        return index
    }

    private mutating func get(_ index: Int) {
        if index < 256 {
            bytes.append(contentsOf: [Op.binGet, UInt8(index)])
        } else {
            bytes.append(Op.longBinGet)
            bytes.le(UInt32(index))
        }
    }
}
