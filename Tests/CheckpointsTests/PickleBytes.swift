/// Builds pickle streams opcode by opcode, for tests that need a pickle Python would never write.
final class PickleBytes {
    private(set) var bytes: [UInt8] = []

    init(protocol version: UInt8 = 2) { bytes = [0x80, version] }

    @discardableResult
    func op(_ code: Character, _ payload: [UInt8] = []) -> PickleBytes {
        bytes.append(code.asciiValue!)
        bytes.append(contentsOf: payload)
        return self
    }

    @discardableResult
    func raw(_ payload: [UInt8]) -> PickleBytes {
        bytes.append(contentsOf: payload)
        return self
    }

    @discardableResult
    func global(_ module: String, _ name: String) -> PickleBytes {
        op("c", Array("\(module)\n\(name)\n".utf8))
    }

    @discardableResult
    func string(_ text: String) -> PickleBytes {
        let utf8 = Array(text.utf8)
        return op("X", le32(UInt32(utf8.count)) + utf8)
    }

    @discardableResult
    func int(_ value: Int32) -> PickleBytes { op("J", le32(UInt32(bitPattern: value))) }

    @discardableResult
    func mark() -> PickleBytes { op("(") }

    @discardableResult
    func tuple() -> PickleBytes { op("t") }

    @discardableResult
    func stop() -> PickleBytes { op(".") }

    /// `_rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
    @discardableResult
    func tensor(storage: String = "FloatStorage", key: String, numel: Int32, offset: Int32,
                         size: [Int32], stride: [Int32]) -> PickleBytes
    {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark(); string("storage"); global("torch", storage); string(key); string("cpu"); int(numel); tuple()
        op("Q")
        int(offset)
        mark(); for s in size { int(s) }; tuple()
        mark(); for s in stride { int(s) }; tuple()
        raw([0x89]) // NEWFALSE
        global("collections", "OrderedDict"); op(")"); op("R")
        tuple()
        return op("R")
    }

    private func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
}
