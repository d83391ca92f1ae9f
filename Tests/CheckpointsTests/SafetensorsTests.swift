import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch

@Suite("safetensors")
struct SafetensorsTests {
    /// One small tensor of every dtype, with values that exercise sign, fraction and range.
    static func everyDType() throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for dtype in DType.allCases {
            let values: [Double] = switch dtype {
            case .bool: [1, 0, 1, 1, 0, 0]
            case .uint8: [3, 1.5, 0, 0.25, 7, 200]
            default: [-3, -1.5, 0, 0.25, 7, 100]
            }
            let source = dtype.isFloatingPoint ? values : values.map { $0.rounded(.towardZero) }
            tensors["t_\(dtype)"] = try Tensor(source, shape: [2, 3]).to(dtype: dtype)
        }
        tensors["scalar"] = try Tensor.scalar(2.5)
        tensors["empty"] = try Tensor.zeros([0, 4])
        return tensors
    }

    @Test func roundTripsEveryDTypeAndMetadata() throws {
        let tensors = try Self.everyDType()
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t é"]
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/all.safetensors"
        try Safetensors.write(tensors, metadata: metadata, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["all.safetensors"])

        let file = try Safetensors.read(path)
        #expect(file.metadata == metadata)
        #expect(file.tensors.names == tensors.keys.sorted())
        for (name, tensor) in tensors {
            let read = try file.tensors.tensor(name)
            #expect(read.dtype == tensor.dtype, "\(name)")
            #expect(read.shape == tensor.shape, "\(name)")
            #expect(try read.bytes() == tensor.bytes(), "\(name)")
        }
    }

    @Test func writesDeterministicPaddedHeaders() throws {
        let tensors = try Self.everyDType()
        let bytes = try Safetensors.encode(tensors, metadata: ["b": "2", "a": "1"])
        #expect(try Safetensors.encode(tensors, metadata: ["a": "1", "b": "2"]) == bytes)
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(
            #"{"__metadata__":{"a":"1","b":"2"},"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}"#))
        #expect(header.contains(#""t_bfloat16":{"dtype":"BF16","shape":[2,3],"data_offsets":[4,16]}"#))
        let names = try JSON(parsing: header, source: "safetensors header").object()
        #expect(names.count == tensors.count + 1)
        #expect(Set(header.dropFirst(header.trimmingCharacters(in: .whitespaces).count)) .isSubset(of: [" "]))
        #expect(!(try Safetensors.encode([:])).isEmpty)
    }

    @Test func readsTheSharedFixture() throws {
        let file = try Safetensors.read(try Fixtures.shared("stylegan2-tiny64/cases.safetensors"))
        #expect(try file.tensors.tensor("z").shape == [3, 128])
        #expect(try file.tensors.tensor("w_plus").shape == [3, 10, 128])
        #expect(try file.tensors.tensor("latent_avg").dtype == .float32)
        #expect((0..<9).allSatisfy { file.tensors["noise_\($0)"] != nil })
        // What this library writes, it reads back to the same bytes.
        let again = try Safetensors.decode(try Safetensors.encode(file.tensors.dictionary), name: "again")
        for (name, tensor) in file.tensors {
            #expect(try again.tensors.tensor(name).bytes() == tensor.bytes())
        }
    }

    /// A file with `header` as its JSON header and `data` after it; `length` overrides the length field.
    private func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: (length ?? UInt64(json.count)).littleEndian, Array.init) + json + data
    }

    @Test func rejectsEveryInvalidLayout() throws {
        let f32 = #""dtype":"F32","shape":[2]"#
        let cases: [(String, [UInt8])] = [
            ("too short for the 8-byte header length", [1, 2, 3]),
            ("exceeds the 100000000-byte limit", file("{}", length: 100_000_001)),
            ("runs past the end", file("{}", length: 3)),
            ("header is not valid UTF-8", file("{\"\u{FF}\"}").map { $0 == 0xC3 ? 0xFF : $0 }),
            ("does not start with '{'", file(" {}")),
            ("not valid JSON", file("{\"a\":}")),
            ("not valid JSON: unexpected text after the JSON value", file("{}x")),
            ("duplicate key \"a\"", file("{\"a\":{\(f32),\"data_offsets\":[0,8]},\"a\":{\(f32),\"data_offsets\":[8,16]}}",
                                         data: .init(repeating: 0, count: 16))),
            ("unknown dtype 'F33'", file(#"{"a":{"dtype":"F33","shape":[],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
            ("dtype U16 is not supported", file(#"{"a":{"dtype":"U16","shape":[],"data_offsets":[0,2]}}"#, data: [0, 0])),
            ("missing \"shape\"", file(#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
            ("non-negative integer", file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#)),
            ("non-negative integer", file(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#)),
            ("data_offsets is not a pair", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#)),
            ("end before they start", file("{\"a\":{\(f32),\"data_offsets\":[8,0]}}")),
            ("span 4 bytes but shape [2] of F32 needs 8", file("{\"a\":{\(f32),\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])),
            ("shape [4294967296, 4294967296] overflows",
             file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#)),
            ("hole in the data before 'a'", file("{\"a\":{\(f32),\"data_offsets\":[4,12]}}", data: .init(repeating: 0, count: 12))),
            ("overlaps the previous tensor", file("{\"a\":{\(f32),\"data_offsets\":[0,8]},\"b\":{\(f32),\"data_offsets\":[4,12]}}",
                                                  data: .init(repeating: 0, count: 12))),
            ("2 bytes after the last tensor's data",
             file("{\"a\":{\(f32),\"data_offsets\":[0,8]}}", data: .init(repeating: 0, count: 10))),
            ("file is truncated: tensor data ends at 8", file("{\"a\":{\(f32),\"data_offsets\":[0,8]}}", data: [0, 0, 0])),
            ("__metadata__ value of 'k' is not a string", file(#"{"__metadata__":{"k":1}}"#)),
            ("__metadata__ is not an object", file(#"{"__metadata__":[]}"#)),
            ("entry is not an object", file(#"{"a":[]}"#)),
            ("nesting deeper than 64", file("{\"__metadata__\":" + String(repeating: "[", count: 100) + "}")),
        ]
        for (fragment, bytes) in cases {
            expectFailure(fragment) { _ = try Safetensors.decode(bytes, name: "models/bad.safetensors") }
        }
        expectFailure("bad.safetensors: header length") {
            _ = try Safetensors.decode(file("{}", length: 1 << 40), name: "models/bad.safetensors")
        }
        #expect(try Safetensors.decode(file(#"{"__metadata__":null}"#), name: "null").tensors.isEmpty)
        expectFailure("cannot be named __metadata__") {
            _ = try Safetensors.encode(["__metadata__": try Tensor.zeros([1])])
        }
    }

    @Test func failedWritesLeaveNothingBehind() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        expectFailure("cannot be named __metadata__") {
            try Safetensors.write(["__metadata__": try Tensor.zeros([1])], to: folder + "/x.safetensors")
        }
        expectFailure("cannot create a temporary file") {
            try Safetensors.write([:], to: folder + "/missing-folder/x.safetensors")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        // An existing file is replaced whole.
        let path = folder + "/x.safetensors"
        try Safetensors.write(["a": try Tensor.ones([1000])], to: path)
        try Safetensors.write(["b": try Tensor.ones([1])], to: path)
        #expect(try Safetensors.read(path).tensors.names == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["x.safetensors"])
    }
}
