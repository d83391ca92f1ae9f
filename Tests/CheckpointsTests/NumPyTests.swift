import Checkpoints
import Foundation
import Testing
import Torch

/// Resources/*.npy and *.npz were made once with NumPy 2.4 (script not part of the package):
///
///     a = np.arange(6, dtype=np.float64).reshape(2, 3) * 1.5
///     np.save("fortran_f64.npy", np.asfortranarray(a))
///     np.lib.format.write_array(open("v2_f32.npy", "wb"), np.arange(4, dtype=np.float32), version=(2, 0))
///     np.lib.format.write_array(open("v3_i64.npy", "wb"), np.array([[1, -2], [3, 2**40]]), version=(3, 0))
///     np.save("scalar_f32.npy", np.float32(7.5))
///     np.save("big_endian.npy", np.arange(3, dtype=">f4"))
///     np.savez("arrays.npz", w=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array([True, False]),
///              n=np.array([1, 2, 3], dtype=np.int32), h=np.array([0.5], dtype=np.float16),
///              u=np.array([9], dtype=np.uint8))
///     np.savez_compressed("compressed.npz", w=np.arange(6, dtype=np.float32))
@Suite("NumPy .npy and .npz")
struct NumPyTests {
    static func everyDType() throws -> [String: Tensor] {
        var arrays: [String: Tensor] = [:]
        for dtype in DType.allCases where dtype != .bfloat16 {
            let values: [Double] = switch dtype {
            case .bool: [1, 0, 1, 1, 0, 0]
            case .uint8: [3, 1.5, 0, 0.25, 7, 200]
            default: [-3, -1.5, 0, 0.25, 7, 100]
            }
            let source = dtype.isFloatingPoint ? values : values.map { $0.rounded(.towardZero) }
            arrays["a_\(dtype)"] = try Tensor(source, shape: [3, 2]).to(dtype: dtype)
        }
        arrays["scalar"] = try Tensor.scalar(4.5, dtype: .float64)
        arrays["empty"] = try Tensor.zeros([0])
        return arrays
    }

    @Test func roundTripsEveryDType() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, tensor) in try Self.everyDType() {
            let encoded = try NumPy.encodeArray(tensor)
            let dataStart = encoded.count - tensor.count * tensor.dtype.byteSize
            #expect(dataStart % 64 == 0, "\(name): data must start 64-byte aligned")
            let path = "\(folder)/\(name).npy"
            try NumPy.writeArray(tensor, to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(encoded))
            let read = try NumPy.readArray(path)
            #expect(read.dtype == tensor.dtype, "\(name)")
            #expect(read.shape == tensor.shape, "\(name)")
            #expect(try read.bytes() == tensor.bytes(), "\(name)")
        }
        expectFailure("NumPy has no bfloat16") { _ = try NumPy.encodeArray(try Tensor.zeros([1], dtype: .bfloat16)) }
    }

    @Test func roundTripsArchives() throws {
        let arrays = try Self.everyDType()
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try NumPy.writeArchive(arrays, to: folder + "/all.npz")
        let read = try NumPy.readArchive(folder + "/all.npz")
        #expect(read.names == arrays.keys.sorted())
        for (name, tensor) in arrays {
            #expect(try read.tensor(name).bytes() == tensor.bytes(), "\(name)")
            #expect(try read.tensor(name).dtype == tensor.dtype, "\(name)")
        }
        #expect(try NumPy.encodeArchive(arrays) == Array(Data(contentsOf: URL(fileURLWithPath: folder + "/all.npz"))))
        #expect(try NumPy.decodeArchive(try NumPy.encodeArchive([:]), name: "empty.npz").isEmpty)
    }

    @Test func readsFilesNumPyWrote() throws {
        let fortran = try NumPy.readArray(try Fixtures.resource("fortran_f64.npy"))
        #expect(fortran.shape == [2, 3])
        #expect(try fortran.doubles() == [0, 1.5, 3, 4.5, 6, 7.5])
        #expect(try NumPy.readArray(try Fixtures.resource("v2_f32.npy")).floats() == [0, 1, 2, 3])
        let v3 = try NumPy.readArray(try Fixtures.resource("v3_i64.npy"))
        #expect(v3.shape == [2, 2])
        #expect(try v3.int64s() == [1, -2, 3, 1 << 40])
        let scalar = try NumPy.readArray(try Fixtures.resource("scalar_f32.npy"))
        #expect(scalar.shape == [])
        #expect(try scalar.item() == 7.5)

        let archive = try NumPy.readArchive(try Fixtures.resource("arrays.npz"))
        #expect(archive.names == ["w", "b", "n", "h", "u"])
        #expect(try archive.tensor("w").floats() == [0, 1, 2, 3, 4, 5])
        #expect(try archive.tensor("w").shape == [2, 3])
        #expect(try archive.tensor("b").array(of: Bool.self) == [true, false])
        #expect(try archive.tensor("n").array(of: Int32.self) == [1, 2, 3])
        #expect(try archive.tensor("h").dtype == .float16)
        #expect(try archive.tensor("h").floats() == [0.5])
        #expect(try archive.tensor("u").array(of: UInt8.self) == [9])

        expectFailure("big_endian.npy: big-endian data ('>f4') is not supported") {
            _ = try NumPy.readArray(try Fixtures.resource("big_endian.npy"))
        }
        // np.savez_compressed members are DEFLATE streams, inflated through zlib.
        let compressed = try NumPy.readArchive(try Fixtures.resource("compressed.npz"))
        #expect(try compressed.tensor("w").floats() == [0, 1, 2, 3, 4, 5])
    }

    /// An .npy file (version 1.0) with `header` as its dict and `data` after it.
    private func npy(_ header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
        let text = Array((header + "\n").utf8)
        let length: [UInt8] = version == 1
            ? withUnsafeBytes(of: UInt16(text.count).littleEndian, Array.init)
            : withUnsafeBytes(of: UInt32(text.count).littleEndian, Array.init)
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + text + data
    }

    @Test func rejectsMalformedArrays() throws {
        let f4 = "'descr': '<f4', 'fortran_order': False"
        let four = [UInt8](repeating: 0, count: 4)
        let cases: [(String, [UInt8])] = [
            ("not an .npy file", Array("hello world".utf8)),
            ("truncated .npy header", Array(npy("{\(f4), 'shape': (1,), }").prefix(9))),
            ("truncated .npy header", npy("{}").dropLast(5) + []),
            (".npy format version 4.0", npy("{}", version: 4)),
            ("not exactly 'descr', 'fortran_order', 'shape'", npy("{\(f4)}")),
            ("not exactly 'descr', 'fortran_order', 'shape'", npy("{\(f4), 'shape': (1,), 'extra': True}", data: four)),
            ("key 'shape' appears twice", npy("{\(f4), 'shape': (1,), 'shape': (1,)}", data: four)),
            ("'shape' is an int, not a tuple", npy("{\(f4), 'shape': (1)}", data: four)),
            ("unexpected value at character 34", npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}")),
            ("'fortran_order' is not True or False", npy("{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}")),
            ("non-negative int", npy("{\(f4), 'shape': (-1,)}")),
            ("escapes are not allowed", npy("{'descr': '<f\\4', 'fortran_order': False, 'shape': ()}")),
            ("text after the closing '}'", npy("{\(f4), 'shape': (1,), } x", data: four)),
            ("dtype '<u4' is not supported", npy("{'descr': '<u4', 'fortran_order': False, 'shape': (1,)}", data: four)),
            ("dtype '|O' is not supported", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}")),
            ("no byte order for a multi-byte type", npy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}", data: four)),
            ("truncated data: shape [2] of <f4 needs 8 bytes, 4 follow", npy("{\(f4), 'shape': (2,)}", data: four)),
            ("4 bytes after the array data", npy("{\(f4), 'shape': (1,)}", data: four + four)),
            ("shape [4294967296, 4294967296, 0] overflows", npy("{\(f4), 'shape': (4294967296, 4294967296, 0)}")),
        ]
        for (fragment, bytes) in cases {
            expectFailure(fragment) { _ = try NumPy.decodeArray(bytes, name: "bad.npy") }
        }
        // Python 2 NumPy wrote longs with an L suffix; version 2.0 headers have a 32-bit length.
        let python2 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }", data: four + four, version: 2)
        let old = try NumPy.decodeArray(python2, name: "old.npy")
        #expect(old.shape == [2, 1])
        let emptyFortran = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }")
        let fortranEmpty = try NumPy.decodeArray(emptyFortran, name: "e.npy")
        #expect(fortranEmpty.shape == [0, 3])
        expectFailure("member 'x.txt.abc' is not an .npy array") {
            let archive = try NumPy.encodeArchive(["x.txt": try Tensor.zeros([1])])
            _ = try NumPy.decodeArchive(archive.replacing(Array("x.txt.npy".utf8), with: Array("x.txt.abc".utf8)),
                                        name: "a.npz")
        }
    }
}

@Suite("Compressed .npz")
struct CompressedNpzTests {
    /// Truncated or corrupted DEFLATE members are clear errors, and a declared size the compressed data could
    /// never reach is refused before allocating.
    @Test func damagedMembersAreErrors() throws {
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: try Fixtures.resource("compressed.npz"))))
        // The first member's DEFLATE data: after the 30-byte local header, its name and extra field. NumPy writes
        // through zipfile with zip64 extras, so the compressed size is the extra field's second 8-byte value.
        func u16(_ at: Int) -> Int { Int(good[at]) | Int(good[at + 1]) << 8 }
        let start = 30 + u16(26) + u16(28)
        let zip64 = 30 + u16(26) + 4
        let length = (0..<8).reduce(0) { $0 | Int(good[zip64 + 8 + $1]) << (8 * $1) }
        #expect(length > 0 && start + length < good.count)
        for i in start..<(start + length) {
            var bytes = good
            bytes[i] ^= 0x5A
            #expect(throws: CheckpointError.self, "flipped compressed byte \(i - start)") {
                try NumPy.decodeArchive(bytes, name: "c.npz")
            }
        }
        for cut in stride(from: 10, to: good.count, by: 7) {
            #expect(throws: CheckpointError.self) { try NumPy.decodeArchive(Array(good.prefix(cut)), name: "c.npz") }
        }
    }
}
