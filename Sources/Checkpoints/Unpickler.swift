/// A pickle virtual machine for protocols 2 to 5 (and the protocol 0/1 opcodes those may contain) that
/// never imports or runs anything: globals stay names, and calls are interpreted by `call` from a fixed list.
///
/// Every length is checked against the bytes left before anything is allocated, the stack and the mark
/// stack are checked on every pop, and the loop consumes at least one byte per opcode, so any input ends
/// in a value or a `CheckpointError`.
struct Unpickler {
    typealias ID = PickleArena.ID
    /// Resolves a persistent id (BINPERSID) to a node; PyTorch uses it for storages.
    typealias PersistentLoad = (_ pid: ID, _ arena: inout PickleArena) throws -> ID
    /// Whether a pickle may name the global `module.name`; formats with a known vocabulary (TorchScript) refuse
    /// every other name as soon as it is read, instead of recording it inertly.
    typealias GlobalFilter = (_ module: String, _ name: String) -> Bool

    var reader: ByteReader
    var arena: PickleArena
    let persistentLoad: PersistentLoad
    /// nil: any global is allowed (and stays an inert name).
    let allowsGlobal: GlobalFilter?
    /// How many `torch.storage._load_from_bytes` blobs this pickle is nested in.
    let nesting: Int
    static let maxNesting = 2

    private var stack: [ID] = []
    private var marks: [Int] = []
    private var memo: [Int: ID] = [:]
    /// Offset of the opcode being run, for messages.
    private var opcodeOffset = 0

    init(reader: ByteReader, persistentLoad: @escaping PersistentLoad, allowsGlobal: GlobalFilter? = nil,
         nesting: Int = 0)
    {
        self.reader = reader
        self.arena = PickleArena(file: reader.file)
        self.persistentLoad = persistentLoad
        self.allowsGlobal = allowsGlobal
        self.nesting = nesting
    }

    var file: String { reader.file }

    func invalid(_ message: String) -> CheckpointError {
        .invalid(file: file, message: "\(message) (pickle byte \(opcodeOffset))")
    }

    func unsupported(_ message: String) -> CheckpointError {
        .unsupported(file: file, message: "\(message) (pickle byte \(opcodeOffset))")
    }

    /// Runs the pickle from the reader's position to its STOP and returns the node it built; the reader is
    /// left after the STOP, where the legacy format keeps further pickles and raw storages. Call it once.
    mutating func load() throws -> ID {
        while true {
            opcodeOffset = reader.offset
            let opcode = try reader.u8()
            if opcode == Opcode.stop {
                guard let top = stack.last else { throw invalid("STOP with an empty stack") }
                return top
            }
            try run(opcode)
        }
    }

    // MARK: stack

    /// Bottom of the current frame: items below the last MARK are out of reach, as in Python.
    private var frameBase: Int { marks.last ?? 0 }

    private mutating func push(_ id: ID) { stack.append(id) }
    private mutating func push(_ value: PickleValue) { stack.append(arena.add(value: value)) }

    private mutating func pop() throws -> ID {
        guard stack.count > frameBase else { throw invalid("pickle stack underflow") }
        return stack.removeLast()
    }

    private func top() throws -> ID {
        guard stack.count > frameBase, let last = stack.last else { throw invalid("pickle stack underflow") }
        return last
    }

    /// Pops everything above the last MARK, and the mark.
    private mutating func popMark() throws -> [ID] {
        guard let mark = marks.popLast() else { throw invalid("MARK expected but none is on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    // MARK: opcodes

    private mutating func run(_ opcode: UInt8) throws {
        switch opcode {
        case Opcode.proto:
            let version = try reader.u8()
            guard version <= 5 else { throw unsupported("pickle protocol \(version)") }
        case Opcode.frame:
            let size = try reader.u64()
            guard size <= UInt64(reader.remaining) else { throw reader.truncated() }
        case Opcode.mark:
            marks.append(stack.count)
        case Opcode.pop:
            if stack.count == frameBase, !marks.isEmpty { marks.removeLast() } else { _ = try pop() }
        case Opcode.popMark:
            _ = try popMark()
        case Opcode.dup:
            push(try top())

        case Opcode.none: push(PickleValue.none)
        case Opcode.newTrue: push(.bool(true))
        case Opcode.newFalse: push(.bool(false))
        case Opcode.binInt: push(.int(Int(Int32(bitPattern: try reader.u32()))))
        case Opcode.binInt1: push(.int(Int(try reader.u8())))
        case Opcode.binInt2: push(.int(Int(try reader.u16())))
        case Opcode.long1: push(integer(try reader.take(Int(try reader.u8()))))
        case Opcode.long4:
            let count = Int(Int32(bitPattern: try reader.u32()))
            guard count >= 0 else { throw invalid("LONG4 with negative length") }
            push(integer(try reader.take(count)))
        case Opcode.int:
            let text = try lineText()
            switch text {
            case "00": push(.bool(false))
            case "01": push(.bool(true))
            default:
                guard let value = Int(text) else { throw unsupported("INT '\(text.prefix(40))' beyond 64 bits") }
                push(.int(value))
            }
        case Opcode.long:
            let text = try lineText()
            let digits = text.hasSuffix("L") ? String(text.dropLast()) : text
            guard let value = Int(digits) else { throw unsupported("LONG '\(text.prefix(40))' beyond 64 bits") }
            push(.int(value))
        case Opcode.float:
            let text = try lineText()
            guard let value = Double(text) else { throw invalid("malformed FLOAT '\(text.prefix(40))'") }
            push(.float(value))
        case Opcode.binFloat:
            push(.float(Double(bitPattern: UInt64(bigEndian: try reader.take(8).loadUnaligned(as: UInt64.self)))))

        case Opcode.binUnicode: push(.string(try utf8(try reader.take(Int(try reader.u32())))))
        case Opcode.shortBinUnicode: push(.string(try utf8(try reader.take(Int(try reader.u8())))))
        case Opcode.binUnicode8: push(.string(try utf8(try reader.take(try length64()))))
        case Opcode.binString:
            let count = Int(Int32(bitPattern: try reader.u32()))
            guard count >= 0 else { throw invalid("BINSTRING with negative length") }
            push(python2String(try reader.take(count)))
        case Opcode.shortBinString: push(python2String(try reader.take(Int(try reader.u8()))))
        case Opcode.binBytes: push(.bytes(Array(try reader.take(Int(try reader.u32())))))
        case Opcode.shortBinBytes: push(.bytes(Array(try reader.take(Int(try reader.u8())))))
        case Opcode.binBytes8, Opcode.byteArray8: push(.bytes(Array(try reader.take(try length64()))))
        case Opcode.string, Opcode.unicode:
            throw unsupported("protocol 0 text strings")
        case Opcode.nextBuffer, Opcode.readonlyBuffer:
            throw unsupported("out-of-band pickle buffers")

        case Opcode.emptyTuple: push(arena.add(.tuple([])))
        case Opcode.tuple: push(arena.add(.tuple(try popMark())))
        case Opcode.tuple1, Opcode.tuple2, Opcode.tuple3:
            let count = Int(opcode - Opcode.tuple1) + 1
            var items: [ID] = []
            for _ in 0..<count { items.append(try pop()) }
            push(arena.add(.tuple(items.reversed())))
        case Opcode.emptyList: push(arena.newList())
        case Opcode.list: push(arena.newList(try popMark()))
        case Opcode.emptyDict: push(arena.newDict())
        case Opcode.dict:
            let items = try popMark()
            let dict = arena.newDict()
            try arena.setItems(items[...], in: dict)
            push(dict)
        case Opcode.emptySet: push(arena.newSet())
        case Opcode.frozenSet:
            let items = try popMark()
            let set = arena.newSet()
            try arena.addItems(items, to: set)
            push(set)

        case Opcode.append:
            let item = try pop()
            try arena.append([item], to: try top())
        case Opcode.appends:
            let items = try popMark()
            try arena.append(items, to: try top())
        case Opcode.setItem:
            let value = try pop()
            let key = try pop()
            try arena.setItems([key, value], in: try top())
        case Opcode.setItems:
            let items = try popMark()
            try arena.setItems(items[...], in: try top())
        case Opcode.addItems:
            let items = try popMark()
            try arena.addItems(items, to: try top())

        case Opcode.global:
            let module = try lineText()
            let name = try lineText()
            try checkGlobal(module, name)
            push(arena.add(.global(module: module, name: name)))
        case Opcode.stackGlobal:
            let name = try pop()
            let module = try pop()
            guard case .value(.string(let nameText)) = arena[name], case .value(.string(let moduleText)) = arena[module]
            else { throw invalid("STACK_GLOBAL needs two strings") }
            try checkGlobal(moduleText, nameText)
            push(arena.add(.global(module: moduleText, name: nameText)))
        case Opcode.reduce:
            let arguments = try pop()
            let callable = try pop()
            guard case .tuple(let items) = arena[arguments] else {
                throw invalid("REDUCE arguments are a \(arena.kind(arguments)), not a tuple")
            }
            push(try call(callable, items, keywords: nil, depth: 0))
        case Opcode.newObj:
            let arguments = try pop()
            let cls = try pop()
            guard case .tuple(let items) = arena[arguments] else {
                throw invalid("NEWOBJ arguments are a \(arena.kind(arguments)), not a tuple")
            }
            push(try call(cls, items, keywords: nil, depth: 0))
        case Opcode.newObjEx:
            let keywords = try pop()
            let arguments = try pop()
            let cls = try pop()
            guard case .tuple(let items) = arena[arguments], case .dict = arena[keywords] else {
                throw invalid("NEWOBJ_EX needs a tuple and a dict")
            }
            push(try call(cls, items, keywords: keywords, depth: 0))
        case Opcode.inst:
            let module = try lineText()
            let name = try lineText()
            try checkGlobal(module, name)
            let arguments = try popMark()
            push(try call(arena.add(.global(module: module, name: name)), arguments, keywords: nil, depth: 0))
        case Opcode.obj:
            let items = try popMark()
            guard let cls = items.first else { throw invalid("OBJ without a class") }
            push(try call(cls, Array(items.dropFirst()), keywords: nil, depth: 0))
        case Opcode.build:
            let state = try pop()
            try arena.build(try top(), state: state)

        case Opcode.persId:
            let pid = arena.add(value: .string(try lineText()))
            push(try persistentLoad(pid, &arena))
        case Opcode.binPersId:
            let pid = try pop()
            push(try persistentLoad(pid, &arena))

        case Opcode.get: try get(try memoIndex(try lineText()))
        case Opcode.binGet: try get(Int(try reader.u8()))
        case Opcode.longBinGet: try get(Int(try reader.u32()))
        case Opcode.put: memo[try memoIndex(try lineText())] = try top()
        case Opcode.binPut: memo[Int(try reader.u8())] = try top()
        case Opcode.longBinPut: memo[Int(try reader.u32())] = try top()
        case Opcode.memoize: memo[memo.count] = try top()

        case Opcode.ext1, Opcode.ext2, Opcode.ext4:
            throw unsupported("copyreg extension codes (EXT1/EXT2/EXT4)")
        default:
            throw invalid("unknown pickle opcode 0x\(String(opcode, radix: 16))")
        }
    }

    private func checkGlobal(_ module: String, _ name: String) throws {
        guard let allowsGlobal, !allowsGlobal(module, name) else { return }
        throw unsupported("the pickle names \(module).\(name), which this kind of file may not hold")
    }

    private mutating func get(_ index: Int) throws {
        guard let id = memo[index] else { throw invalid("memo key \(index) was never stored") }
        push(id)
    }

    private func memoIndex(_ text: String) throws -> Int {
        guard let index = Int(text), index >= 0 else { throw invalid("malformed memo key '\(text.prefix(40))'") }
        return index
    }

    private mutating func length64() throws -> Int {
        let count = try reader.u64()
        guard count <= UInt64(reader.remaining) else { throw reader.truncated() }
        return Int(count)
    }

    private mutating func lineText() throws -> String {
        let line = try reader.line()
        guard let text = String(validating: line, as: UTF8.self) else { throw invalid("line is not valid UTF-8") }
        return text
    }

    private func utf8(_ bytes: UnsafeRawBufferPointer) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw invalid("string is not valid UTF-8") }
        return text
    }

    /// A Python 2 `str`: text when it is UTF-8 (as `torch.load` decodes it), bytes otherwise.
    private func python2String(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        String(validating: bytes, as: UTF8.self).map { .string($0) } ?? .bytes(Array(bytes))
    }

    /// A LONG1/LONG4 payload: two's-complement little-endian bytes of any length.
    private func integer(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        let big = PickleBigInt(littleEndianBytes: Array(bytes))
        return big.exactInt.map { .int($0) } ?? .bigInt(big)
    }
}

/// Pickle opcodes (CPython Lib/pickle.py), protocols 0 to 5.
enum Opcode {
    static let mark = UInt8(ascii: "("), stop = UInt8(ascii: "."), pop = UInt8(ascii: "0")
    static let popMark = UInt8(ascii: "1"), dup = UInt8(ascii: "2"), float = UInt8(ascii: "F")
    static let int = UInt8(ascii: "I"), binInt = UInt8(ascii: "J"), binInt1 = UInt8(ascii: "K")
    static let long = UInt8(ascii: "L"), binInt2 = UInt8(ascii: "M"), none = UInt8(ascii: "N")
    static let persId = UInt8(ascii: "P"), binPersId = UInt8(ascii: "Q"), reduce = UInt8(ascii: "R")
    static let string = UInt8(ascii: "S"), binString = UInt8(ascii: "T"), shortBinString = UInt8(ascii: "U")
    static let unicode = UInt8(ascii: "V"), binUnicode = UInt8(ascii: "X"), append = UInt8(ascii: "a")
    static let build = UInt8(ascii: "b"), global = UInt8(ascii: "c"), dict = UInt8(ascii: "d")
    static let emptyDict = UInt8(ascii: "}"), appends = UInt8(ascii: "e"), get = UInt8(ascii: "g")
    static let binGet = UInt8(ascii: "h"), inst = UInt8(ascii: "i"), longBinGet = UInt8(ascii: "j")
    static let list = UInt8(ascii: "l"), emptyList = UInt8(ascii: "]"), obj = UInt8(ascii: "o")
    static let put = UInt8(ascii: "p"), binPut = UInt8(ascii: "q"), longBinPut = UInt8(ascii: "r")
    static let setItem = UInt8(ascii: "s"), tuple = UInt8(ascii: "t"), emptyTuple = UInt8(ascii: ")")
    static let setItems = UInt8(ascii: "u"), binFloat = UInt8(ascii: "G")
    // protocol 2
    static let proto: UInt8 = 0x80, newObj: UInt8 = 0x81, ext1: UInt8 = 0x82, ext2: UInt8 = 0x83
    static let ext4: UInt8 = 0x84, tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87
    static let newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89, long1: UInt8 = 0x8A, long4: UInt8 = 0x8B
    // protocol 3
    static let binBytes = UInt8(ascii: "B"), shortBinBytes = UInt8(ascii: "C")
    // protocol 4
    static let shortBinUnicode: UInt8 = 0x8C, binUnicode8: UInt8 = 0x8D, binBytes8: UInt8 = 0x8E
    static let emptySet: UInt8 = 0x8F, addItems: UInt8 = 0x90, frozenSet: UInt8 = 0x91
    static let newObjEx: UInt8 = 0x92, stackGlobal: UInt8 = 0x93, memoize: UInt8 = 0x94, frame: UInt8 = 0x95
    // protocol 5
    static let byteArray8: UInt8 = 0x96, nextBuffer: UInt8 = 0x97, readonlyBuffer: UInt8 = 0x98
}
