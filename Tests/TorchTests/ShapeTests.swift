import Testing
import Torch

@Suite("Shape and indexing")
struct ShapeTests {
    /// [[0,1,2],[3,4,5]]
    let m: Tensor

    init() throws { m = try Tensor.arange(0, 6).reshape([2, 3]) }

    @Test func views() throws {
        #expect(try m.view([3, 2]).shape == [3, 2])
        #expect(try m.transpose(0, 1).floats() == [0, 3, 1, 4, 2, 5])
        #expect(try m.permute([1, 0]).contiguous().view([6]).floats() == [0, 3, 1, 4, 2, 5])
        #expect(throws: TorchError.self) { try m.transpose(0, 1).view([6]) }
        #expect(try m.transpose(0, 1).reshape([6]).floats() == [0, 3, 1, 4, 2, 5])
        #expect(try m.unsqueeze(0).shape == [1, 2, 3])
        #expect(try m.unsqueeze(-1).squeeze().shape == [2, 3])
        #expect(try m.unsqueeze(1).squeeze(1).shape == [2, 3])
        #expect(try m.flatten().shape == [6])
        #expect(try m.reshape([1, 2, 3]).flatten(from: 1).shape == [1, 6])
        #expect(throws: TorchError.self) { try m.reshape([4]) }
    }

    @Test func expandRepeatFlipRoll() throws {
        let row = try Tensor([Float(1), 2], shape: [1, 2])
        #expect(try row.expand([3, 2]).floats() == [1, 2, 1, 2, 1, 2])
        #expect(try row.repeat([2, 2]).floats() == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(try m.flip([1]).floats() == [2, 1, 0, 5, 4, 3])
        #expect(try m.flip([0, 1]).floats() == [5, 4, 3, 2, 1, 0])
        #expect(try m.roll([1], dims: [1]).floats() == [2, 0, 1, 5, 3, 4])
        #expect(throws: TorchError.self) { try row.expand([3, 3]) }
    }

    @Test func joinsAndSplits() throws {
        #expect(try Tensor.cat([m, m], dim: 0).shape == [4, 3])
        #expect(try Tensor.cat([m, m], dim: 1).floats() == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        #expect(try Tensor.stack([m, m], dim: 1).shape == [2, 2, 3])
        #expect(throws: TorchError.self) { try Tensor.cat([m, Tensor.zeros([2, 2])], dim: 0) }
        #expect(throws: TorchError.self) { try Tensor.cat([], dim: 0) }
        let parts = try m.split([1, 2], dim: 1)
        #expect(parts.count == 2)
        #expect(try parts[1].floats() == [1, 2, 4, 5])
        #expect(try m.split(size: 2, dim: 1).map(\.shape) == [[2, 2], [2, 1]])
        #expect(try m.chunk(3, dim: 1).count == 3)
        #expect(try m.unbind(0).map { try $0.floats() } == [[0, 1, 2], [3, 4, 5]])
        #expect(throws: TorchError.self) { try m.split([1, 1], dim: 1) }
    }

    @Test func slicing() throws {
        #expect(try m.narrow(1, start: 1, length: 2).floats() == [1, 2, 4, 5])
        #expect(try m.slice(1, 0, 3, step: 2).floats() == [0, 2, 3, 5])
        #expect(try m.slice(1, 1..<100).floats() == [1, 2, 4, 5])
        #expect(try m.select(1, 2).floats() == [2, 5])
        #expect(try m[1].floats() == [3, 4, 5])
        #expect(throws: TorchError.self) { try m[2] }
        #expect(throws: TorchError.self) { try m.narrow(1, start: 2, length: 5) }
    }

    @Test func gathersAndScatters() throws {
        let index = try Tensor([Int64(2), 0])
        #expect(try m.indexSelect(1, index).floats() == [2, 0, 5, 3])
        let g = try Tensor([Int64(0), 2, 1, 1], shape: [2, 2])
        #expect(try m.gather(1, g).floats() == [0, 2, 4, 4])
        let s = try Tensor.zeros([2, 3]).scatter(1, g, Tensor.ones([2, 2]))
        #expect(try s.floats() == [1, 0, 1, 0, 1, 0])
        #expect(throws: TorchError.self) { try m.indexSelect(1, Tensor([Int64(7)])) }
        #expect(try m.gt(3).nonzero().int64s() == [1, 1, 1, 2])
    }

    @Test func padding() throws {
        let x = try Tensor([Float(1), 2, 3], shape: [1, 1, 3])
        #expect(try x.pad([1, 2]).floats() == [0, 1, 2, 3, 0, 0])
        #expect(try x.pad([1, 1], value: 9).floats() == [9, 1, 2, 3, 9])
        #expect(try x.pad([2, 2], mode: .reflect).floats() == [3, 2, 1, 2, 3, 2, 1])
        #expect(try x.pad([1, 1], mode: .replicate).floats() == [1, 1, 2, 3, 3])
        #expect(try x.pad([1, 1], mode: .circular).floats() == [3, 1, 2, 3, 1])
        // Reflect padding must be smaller than the input.
        #expect(throws: TorchError.self) { try x.pad([3, 3], mode: .reflect) }
        let image = try Tensor.arange(0, 4).reshape([1, 1, 2, 2])
        #expect(try image.pad([1, 0, 0, 1]).floats() == [0, 0, 1, 0, 2, 3, 0, 0, 0])
    }

    @Test func triangles() throws {
        let ones = try Tensor.ones([3, 3])
        #expect(try ones.tril().sum().item() == 6)
        #expect(try ones.triu(1).sum().item() == 3)
        #expect(try Tensor.eye(3).diagonal().floats() == [1, 1, 1])
    }
}
