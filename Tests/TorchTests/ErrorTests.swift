import Testing
import Torch

/// Bad input never aborts the process: every libtorch failure comes back as a `TorchError` with its message.
@Suite("Errors from libtorch")
struct ErrorTests {
    @Test func dtypeMismatch() throws {
        let error = #expect(throws: TorchError.self) {
            try Tensor.ones([2, 2]).matmul(Tensor.ones([2, 2], dtype: .float64))
        }
        #expect(error?.message.isEmpty == false)
    }

    @Test func deviceMismatchOrMissingDevice() throws {
        #expect(throws: TorchError.self) { try Tensor.ones([1]).to(device: .cuda(7)) }
    }

    @Test func badIndices() throws {
        let t = try Tensor.arange(0, 4)
        #expect(throws: TorchError.self) { try t.select(0, 4) }
        #expect(throws: TorchError.self) { try t.select(3, 0) }
        #expect(throws: TorchError.self) { try t.gather(0, Tensor([Int64(9)])) }
        #expect(throws: TorchError.self) { try t.permute([0, 0]) }
    }

    @Test func emptyTensors() throws {
        let empty = try Tensor.zeros([0])
        #expect(empty.count == 0)
        #expect(throws: TorchError.self) { try empty.max().item() }
        #expect(throws: TorchError.self) { try empty.item() }
        #expect(throws: TorchError.self) { try empty.argmax(0) }
    }

    @Test func shapeErrorsInFunctionalOps() throws {
        #expect(throws: TorchError.self) { try F.conv2d(Tensor.ones([1, 3, 2, 2]), Tensor.ones([1, 3, 3, 3])) }
        #expect(throws: TorchError.self) { try F.layerNorm(Tensor.ones([2, 3]), [4]) }
        #expect(throws: TorchError.self) { try Tensor.ones([2, 3]).view([7]) }
    }

    @Test func theErrorSlotIsPerFailureAndCarriesNoBacktrace() throws {
        let first = #expect(throws: TorchError.self) { try Tensor.ones([2]).view([3]) }
        _ = try Tensor.ones([2]) + 1
        let second = #expect(throws: TorchError.self) { try Tensor.ones([2]).select(0, 5) }
        #expect(first?.message != second?.message)
        #expect(second?.message.contains("index 5") == true)
        #expect(second?.message.contains("frame #") == false)
    }
}
