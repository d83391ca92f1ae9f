import Testing
@testable import Torch

@Suite("Tensor basics")
struct TensorTests {
    @Test func roundTripsEveryDType() throws {
        let values: [Double] = [0, 1, 2, 3, 4, 5]
        for dtype in DType.allCases {
            let t = try Tensor(values, shape: [2, 3]).to(dtype: dtype)
            #expect(t.dtype == dtype)
            #expect(t.shape == [2, 3])
            let back = try t.doubles()
            let expected = dtype == .bool ? values.map { $0 == 0 ? 0 : 1 } : values
            #expect(back == expected, "dtype \(dtype)")
            #expect(try t.bytes().count == 6 * dtype.byteSize)
        }
    }

    @Test func rawBytesOfHalfAndBFloat16() throws {
        // 1.0 is 0x3C00 in IEEE half and 0x3F80 in bfloat16 (little-endian bytes).
        let half = try Tensor(bytes: [0x00, 0x3C, 0x00, 0xC0], shape: [2], dtype: .float16)
        #expect(try half.floats() == [1, -2])
        let bf = try Tensor(bytes: [0x80, 0x3F], shape: [1], dtype: .bfloat16)
        #expect(try bf.floats() == [1])
        #expect(try Tensor([Float(1)]).to(dtype: .bfloat16).bytes() == [0x80, 0x3F])
    }

    @Test func byteCountMustMatchShape() throws {
        #expect(throws: TorchError.self) { try Tensor(bytes: [1, 2, 3], shape: [1], dtype: .float32) }
        #expect(throws: TorchError.self) { try Tensor(bytes: [], shape: [-1], dtype: .float32) }
    }

    @Test func creation() throws {
        #expect(try Tensor.zeros([2, 2]).floats() == [0, 0, 0, 0])
        #expect(try Tensor.ones([3], dtype: .int64).int64s() == [1, 1, 1])
        #expect(try Tensor.full([2], 7.5).floats() == [7.5, 7.5])
        #expect(try Tensor.arange(0, 5).floats() == [0, 1, 2, 3, 4])
        #expect(try Tensor.arange(1, 2, step: 0.25).floats() == [1, 1.25, 1.5, 1.75])
        #expect(try Tensor.linspace(0, 1, steps: 5).floats() == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor.eye(2).floats() == [1, 0, 0, 1])
        #expect(try Tensor.scalar(3.5).item() == 3.5)
        #expect(try Tensor.scalar(4).itemInt() == 4)
        #expect(try Tensor.scalar(2.0).shape == [])
    }

    @Test func seededGeneratorsRepeat() throws {
        let a = try Tensor.randn([4, 4], generator: Generator(seed: 42))
        let b = try Tensor.randn([4, 4], generator: Generator(seed: 42))
        let c = try Tensor.randn([4, 4], generator: Generator(seed: 43))
        #expect(try a.floats() == b.floats())
        #expect(try a.floats() != c.floats())
        let g = try Generator(seed: 7)
        let first = try Tensor.rand([3], generator: g).floats()
        try g.seed(7)
        #expect(try Tensor.rand([3], generator: g).floats() == first)
        let ints = try Tensor.randint(2, 5, [1000], generator: g).int64s()
        #expect(ints.allSatisfy { (2..<5).contains($0) })
        #expect(Set(ints) == [2, 3, 4])
        let perm = try Tensor.randperm(6, generator: g).int64s()
        #expect(perm.sorted() == [0, 1, 2, 3, 4, 5])
    }

    @Test func randomStatisticsAreSane() throws {
        let x = try Tensor.randn([100_000], generator: Generator(seed: 1))
        #expect(abs(try x.mean().item()) < 0.02)
        #expect(abs(try x.std().item() - 1) < 0.02)
        let u = try Tensor.rand([100_000], generator: Generator(seed: 1))
        #expect(abs(try u.mean().item() - 0.5) < 0.01)
        #expect(try u.min().item() >= 0)
        #expect(try u.max().item() < 1)
    }

    @Test func metadataAndDescription() throws {
        let t = try Tensor.zeros([2, 3, 4])
        #expect(t.rank == 3)
        #expect(t.count == 24)
        #expect(t.strides == [12, 4, 1])
        #expect(t.size(-1) == 4)
        #expect(t.device == .cpu)
        #expect(t.isContiguous)
        #expect(try !t.transpose(0, 2).isContiguous)
        #expect(try Tensor([Float(1.5)]).description.contains("1.5"))
    }

    @Test func devicesParse() {
        #expect(Device("cpu") == .cpu)
        #expect(Device("cuda") == .cuda(0))
        #expect(Device("cuda:3") == .cuda(3))
        #expect(Device("gpu") == nil)
        #expect(Device("cuda:-1") == nil)
    }

    @Test func cudaIsAClearErrorWithoutADevice() throws {
        if Runtime.cudaDeviceCount == 0 {
            #expect(throws: TorchError.self) { try Tensor.zeros([1], device: .cuda(0)) }
        } else {
            let t = try Tensor([Float(1), 2]).to(device: .cuda(0))
            #expect(t.device == .cuda(0))
            #expect(try (t * 2).floats() == [2, 4])
        }
    }

    @Test func asStridedIsBoundsChecked() throws {
        let storage = try Tensor.arange(0, 6)
        #expect(try storage.asStrided([2, 2], strides: [1, 2], offset: 1).floats() == [1, 3, 2, 4])
        #expect(throws: TorchError.self) { try storage.asStrided([4, 4], strides: [4, 1]) }
    }
}
