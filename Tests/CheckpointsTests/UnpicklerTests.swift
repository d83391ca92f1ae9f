import Checkpoints
import Foundation
import Testing

@Suite("Restricted unpickler")
struct UnpicklerTests {
    private func decode(_ pickle: PickleBytes) throws -> PickleValue {
        try Pickle.decode(pickle.bytes, name: "test.pkl")
    }

    @Test func neverRunsWhatAPickleCalls() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("pwned-\(UUID().uuidString)").path
        let p = PickleBytes()
        p.global("os", "system").string("touch \(marker)").raw([0x85]).op("R").stop()
        let value = try decode(p)
        let call = try value.object()
        #expect(call.qualifiedName == "os.system")
        #expect(try call.arguments[0].string() == "touch \(marker)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func readsProtocol2Containers() throws {
        // What Python 3 writes at protocol 2 for [b'ab', bytearray(b'cd'), {1, 2}, argparse.Namespace(size=64)].
        let p = PickleBytes()
        p.op("]").mark()
        p.global("_codecs", "encode").string("ab").string("latin1").raw([0x86]).op("R")
        p.global("__builtin__", "bytearray").global("_codecs", "encode").string("cd").string("latin1").raw([0x86])
            .op("R").raw([0x85]).op("R")
        p.global("__builtin__", "set").op("]").mark().int(1).int(2).op("e").raw([0x85]).op("R")
        p.global("argparse", "Namespace").op(")").raw([0x81]).op("}").string("size").int(64).op("s").op("b")
        p.op("e").stop()
        let items = try decode(p).elements()
        #expect(try items[0].bytes() == Array("ab".utf8))
        #expect(try items[1].bytes() == Array("cd".utf8))
        #expect(try items[2].elements().map { try $0.int() } == [1, 2])
        #expect(try items[3].attribute("size").int() == 64)
    }

    @Test func mergesRepeatedKeysAndEqualMembersAsPythonDoes() throws {
        let p = PickleBytes()
        p.op("}").mark().string("a").int(1).string("b").int(2).string("a").int(3).op("u").stop()
        let dict = try decode(p).dict()
        #expect(dict.stringKeys == ["a", "b"])
        #expect(try dict["a"]?.int() == 3)

        // 1, True and 1.0 are one set member in Python.
        let s = PickleBytes(protocol: 4)
        s.raw([0x8F]).mark().int(1).raw([0x88]).op("G", withUnsafeBytes(of: (1.0).bitPattern.bigEndian, Array.init))
            .int(2).raw([0x90]).stop()
        #expect(try decode(s).elements().count == 2)
    }

    @Test func readsTextOpcodesOfOlderProtocols() throws {
        let p = PickleBytes()
        p.op("(").op("I", Array("01\n".utf8)).op("I", Array("-42\n".utf8)).op("L", Array("123L\n".utf8))
            .op("F", Array("2.5\n".utf8)).op("p", Array("7\n".utf8)).op("g", Array("7\n".utf8)).op("l").stop()
        let items = try decode(p).elements()
        #expect(try items[0].bool())
        #expect(try items[1].int() == -42)
        #expect(try items[2].int() == 123)
        #expect(try items[3].double() == 2.5)
        #expect(try items[4].double() == 2.5)
    }

    @Test func keepsBigIntegersExact() throws {
        let p = PickleBytes()
        // LONG1 of 8 bytes 0xff..0x7f is Int.max; nine bytes 00..00 01 is 2^64.
        p.op("(").raw([0x8A, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        p.raw([0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1]).raw([0x8A, 1, 0xFF]).raw([0x8A, 0]).op("t").stop()
        let items = try decode(p).elements()
        #expect(try items[0].int() == Int.max)
        guard case .bigInt(let big) = items[1] else { throw CheckpointError.lookup(file: "", message: "not big") }
        #expect(big.description == "18446744073709551616")
        #expect(big.exactInt == nil)
        #expect(try items[2].int() == -1)
        #expect(try items[3].int() == 0)
        expectFailure("does not fit in a 64-bit Int") { _ = try items[1].int() }

        // A 100 kB integer prints in hex rather than spending quadratic time on decimal digits.
        let huge = PickleBytes()
        huge.raw([0x8B] + withUnsafeBytes(of: UInt32(100_000).littleEndian, Array.init))
        huge.raw([UInt8](repeating: 0x11, count: 99_999) + [0x01]).stop()
        guard case .bigInt(let hugeValue) = try decode(huge) else {
            throw CheckpointError.lookup(file: "", message: "not a big int")
        }
        #expect(hugeValue.description.hasPrefix("0x1111"))
    }

    @Test func recordsEverythingAnUnknownClassReceives() throws {
        let p = PickleBytes(protocol: 4)
        p.global("mod", "Thing").mark().int(1).op("t").op("}").string("k").int(2).op("s").raw([0x92])
        p.op("}").string("attr").string("v").op("s").op("b")
        p.mark().int(10).int(11).op("e")
        p.mark().string("x").int(12).op("u").stop()
        let object = try decode(p).object()
        #expect(object.qualifiedName == "mod.Thing")
        #expect(try object.arguments.map { try $0.int() } == [1])
        #expect(try object.keywordArguments["k"]?.int() == 2)
        #expect(try object.attribute("attr").string() == "v")
        #expect(try object.listItems.map { try $0.int() } == [10, 11])
        #expect(try object.dictItems["x"]?.int() == 12)
        #expect(PickleValue.object(object).typeName == "mod.Thing")
    }

    @Test func sharedValuesStayCheapAndSelfReferencesAreRefused() throws {
        // L(i+1) = [L(i), L(i)] sixty times: 2^60 leaves if copied, 60 nodes when shared.
        let shared = PickleBytes()
        shared.op("}").op("q", [0])
        for _ in 0..<60 { shared.op("}").mark().string("a").op("h", [0]).string("b").op("h", [0]).op("u").op("q", [0]) }
        shared.stop()
        let value = try decode(shared)
        expectFailure("shares too much") { _ = try value.stateDict() }

        let cycle = PickleBytes()
        cycle.op("]").op("q", [0]).op("h", [0]).op("a").stop()
        expectFailure("contains itself") { _ = try decode(cycle) }
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        for depth in [250, 100_000] {
            let p = PickleBytes()
            for _ in 0..<depth { p.op("]") }
            for _ in 0..<(depth - 1) { p.op("a") }
            p.stop()
            expectFailure("nested deeper than 200") { _ = try decode(p) }
        }
    }

    @Test func reportsMalformedStreamsClearly() throws {
        func pickle(_ build: (PickleBytes) -> Void) -> [UInt8] {
            let p = PickleBytes()
            build(p)
            return p.bytes
        }
        let cases: [(String, [UInt8])] = [
            ("truncated pickle data", []),
            ("truncated pickle data", pickle { $0.op("K") }),
            ("pickle stack underflow", pickle { $0.op("a").stop() }),
            ("MARK expected but none", pickle { $0.int(1).op("t").stop() }),
            ("memo key 5 was never stored", pickle { $0.op("h", [5]).stop() }),
            ("unknown pickle opcode 0xff", [0xFF]),
            ("STOP with an empty stack", pickle { $0.stop() }),
            ("pickle protocol 6", [0x80, 6]),
            ("truncated pickle data", pickle { $0.op("X", [0xF0, 0xFF, 0xFF, 0xFF]) }),
            ("truncated pickle data", pickle { $0.raw([0x8E, 0, 0, 0, 0, 0, 0, 0, 0x80]) }),
            ("LONG4 with negative length", pickle { $0.raw([0x8B, 0xFF, 0xFF, 0xFF, 0xFF]) }),
            ("string is not valid UTF-8", pickle { $0.op("X", [2, 0, 0, 0, 0xC3, 0x28]).stop() }),
            ("persistent ids in a plain pickle", pickle { $0.string("x").op("Q").stop() }),
            ("copyreg extension codes", pickle { $0.raw([0x82, 1]) }),
            ("protocol 0 text strings", pickle { $0.op("S", Array("'a'\n".utf8)) }),
            ("BUILD (setting state) on a list", pickle { $0.op("]").op("}").op("b").stop() }),
            ("calling a list", pickle { $0.op("]").op(")").op("R").stop() }),
            ("REDUCE arguments are a int", pickle { $0.global("a", "b").int(1).op("R").stop() }),
            ("unhashable dict key of type list", pickle { $0.op("}").op("]").int(1).op("s").stop() }),
            ("cannot append to a dict", pickle { $0.op("}").int(1).op("a").stop() }),
            ("_rebuild_tensor_v2 of a int, not a storage", pickle {
                $0.global("torch._utils", "_rebuild_tensor_v2").mark().int(1).int(0).op(")").op(")").raw([0x89])
                    .op("N").op("t").op("R").stop()
            }),
        ]
        for (fragment, bytes) in cases {
            expectFailure(fragment) { _ = try Pickle.decode(bytes, name: "bad.pkl") }
        }
    }
}
