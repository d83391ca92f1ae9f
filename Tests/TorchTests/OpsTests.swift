import Foundation
import Testing
import Torch

/// Op results against values worked out by hand.
@Suite("Ops")
struct OpsTests {
    let a: Tensor
    let b: Tensor

    init() throws {
        a = try Tensor([Float(1), 2, 3, 4], shape: [2, 2])
        b = try Tensor([Float(10), 20], shape: [2])
    }

    @Test func arithmeticBroadcasts() throws {
        #expect(try (a + b).floats() == [11, 22, 13, 24])
        #expect(try (a - b).floats() == [-9, -18, -7, -16])
        #expect(try (a * b).floats() == [10, 40, 30, 80])
        #expect(try (b / a).floats() == [10, 10, 10.0 / 3, 5])
        #expect(try (a + 1).floats() == [2, 3, 4, 5])
        #expect(try (1 - a).floats() == [0, -1, -2, -3])
        #expect(try (2 * a / 4).floats() == [0.5, 1, 1.5, 2])
        #expect(try (12 / a).floats() == [12, 6, 4, 3])
        #expect(try (-a).floats() == [-1, -2, -3, -4])
        #expect(try a.pow(2).floats() == [1, 4, 9, 16])
        #expect(try a.maximum(Tensor([Float(2)])).floats() == [2, 2, 3, 4])
        #expect(try a.remainder(3).floats() == [1, 2, 0, 1])
    }

    @Test func mismatchedShapesThrowWithTorchsMessage() throws {
        let c = try Tensor.zeros([3])
        let error = #expect(throws: TorchError.self) { try a + c }
        #expect(error?.message.contains("size of tensor a (2) must match the size of tensor b (3)") == true)
        #expect(error?.message.contains("Exception raised from") == false, "no C++ backtrace")
    }

    @Test func unaryFunctions() throws {
        let x = try Tensor([Double(0), 1, 4])
        #expect(try x.sqrt().doubles() == [0, 1, 2])
        #expect(close(try x.exp().doubles(), [1, M_E, pow(M_E, 4)]))
        #expect(close(try (x + 1).log().doubles(), [0, log(2), log(5)]))
        #expect(try Tensor([Double(-2), 3]).abs().doubles() == [2, 3])
        #expect(try Tensor([Double(4)]).rsqrt().doubles() == [0.5])
        #expect(try Tensor([Double(0)]).sigmoid().doubles() == [0.5])
        #expect(try Tensor([Double(-1), 2]).relu().doubles() == [0, 2])
        #expect(try Tensor([Double(-1.5), 1.5]).clamp(min: -1).doubles() == [-1, 1.5])
        #expect(try Tensor([Double(-1.5), 1.5]).clamp(min: -1, max: 1).doubles() == [-1, 1])
        #expect(try Tensor([Double(-1.5), 1.5]).clamp(max: 0).doubles() == [-1.5, 0])
        #expect(try Tensor([Double.nan, 1]).isnan().array(of: Bool.self) == [true, false])
    }

    @Test func comparisonsAndWhere() throws {
        let mask = try a.gt(2)
        #expect(try mask.array(of: Bool.self) == [false, false, true, true])
        #expect(try Tensor.where(mask, a, Tensor.zeros([1])).floats() == [0, 0, 3, 4])
        #expect(try a.maskedFill(mask, -1).floats() == [1, 2, -1, -1])
        #expect(try a.maskedSelect(mask).floats() == [3, 4])
    }

    @Test func reductions() throws {
        #expect(try a.sum().item() == 10)
        #expect(try a.sum([0]).floats() == [4, 6])
        #expect(try a.sum([1], keepdim: true).shape == [2, 1])
        #expect(try a.mean([1]).floats() == [1.5, 3.5])
        #expect(try a.prod().item() == 24)
        #expect(try a.prod([1]).floats() == [2, 12])
        #expect(try a.max().item() == 4)
        #expect(try a.min([0]).floats() == [1, 2])
        // var of [1,2,3,4] with Bessel's correction = 5/3; population variance = 5/4.
        #expect(abs(try a.variance().item() - 5.0 / 3) < 1e-6)
        #expect(abs(try a.variance(correction: 0).item() - 1.25) < 1e-6)
        #expect(abs(try a.std([1]).floats()[0] - Float(0.5.squareRoot())) < 1e-6)
        #expect(abs(try a.norm().item() - (30.0).squareRoot()) < 1e-5)
        #expect(try a.norm(1, dims: [1]).floats() == [3, 7])
        #expect(try a.argmax(1).int64s() == [1, 1])
        let (values, indices) = try a.max(dim: 0)
        #expect(try values.floats() == [3, 4])
        #expect(try indices.int64s() == [1, 1])
        #expect(try a.gt(0).all().item() == 1)
        #expect(try a.gt(3).any([1]).array(of: Bool.self) == [false, true])
        #expect(abs(try Tensor([Double(0), 0]).logsumexp([0]).item() - log(2)) < 1e-12)
    }

    @Test func sortingAndTopK() throws {
        let x = try Tensor([Float(3), 1, 4, 1, 5, 9, 2, 6])
        let (v, i) = try x.topk(3)
        #expect(try v.floats() == [9, 6, 5])
        #expect(try i.int64s() == [5, 7, 4])
        let sorted = try x.sort(descending: false)
        #expect(try sorted.values.floats() == [1, 1, 2, 3, 4, 5, 6, 9])
        #expect(try x.cumsum(0).floats() == [3, 4, 8, 9, 14, 23, 25, 31])
    }

    @Test func products() throws {
        // [[1,2],[3,4]] @ [[5],[6]] = [[17],[39]]
        let m = try Tensor([Float(5), 6], shape: [2, 1])
        #expect(try a.matmul(m).floats() == [17, 39])
        let batch = try Tensor.stack([a, a])
        #expect(try batch.bmm(Tensor.stack([m, m])).floats() == [17, 39, 17, 39])
        #expect(try Tensor.einsum("ij,jk->ik", [a, m]).floats() == [17, 39])
        #expect(try Tensor.einsum("ii->", [a]).item() == 5)
        #expect(try b.outer(b).floats() == [100, 200, 200, 400])
        #expect(throws: TorchError.self) { try a.matmul(Tensor.zeros([3, 1])) }
        #expect(throws: TorchError.self) { try Tensor.einsum("ij,jk->ik", [a]) }
    }

    @Test func inPlaceUpdates() throws {
        let x = try Tensor([Float(1), 2])
        try x.add_(Tensor([Float(1), 1]), alpha: 2)
        #expect(try x.floats() == [3, 4])
        try x.mul_(0.5)
        #expect(try x.floats() == [1.5, 2])
        try x.addcmul_(Tensor([Float(2), 2]), Tensor([Float(1), 3]), value: 0.5)
        #expect(try x.floats() == [2.5, 5])
        try x.addcdiv_(Tensor([Float(1), 1]), Tensor([Float(2), 4]), value: 2)
        #expect(try x.floats() == [3.5, 5.5])
        try x.lerp_(Tensor([Float(5.5), 7.5]), weight: 0.5)
        #expect(try x.floats() == [4.5, 6.5])
        try x.clamp_(max: 5)
        #expect(try x.floats() == [4.5, 5])
        try x.copy_(Tensor([Float(9)]))
        #expect(try x.floats() == [9, 9])
        try x.fill_(4)
        try x.sqrt_()
        #expect(try x.floats() == [2, 2])
        try x.zero_()
        #expect(try x.floats() == [0, 0])
        let y = try Tensor([Float(-1), 2])
        try y.leakyRelu_(slope: 0.2)
        #expect(try y.floats() == [-0.2, 2])
    }

    @Test func channelsLastKeepsValuesAndShape() throws {
        let x = try Tensor.arange(0, 24).reshape([1, 2, 3, 4])
        #expect(!x.isChannelsLast)
        let nhwc = try x.channelsLast()
        #expect(nhwc.isChannelsLast && nhwc.shape == [1, 2, 3, 4] && nhwc.strides == [24, 1, 8, 2])
        #expect(try nhwc.floats() == (try x.floats()))
        #expect(try nhwc.contiguous().isContiguous)
        #expect(throws: TorchError.self) { try Tensor.zeros([2, 3]).channelsLast() }
    }
}

/// Elementwise |a - b| <= tol * max(1, |b|).
func close(_ a: [Double], _ b: [Double], tol: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
}

func close(_ a: [Float], _ b: [Float], tol: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
}

@Suite("Integer in-place ops")
struct IntegerInPlaceTests {
    @Test func wholeScalarsUpdateIntegerTensors() throws {
        let count = try Tensor.zeros([1], dtype: .int64)
        try count.add_(1)
        try count.add_(Tensor.ones([1], dtype: .int64), alpha: 2)
        try count.mul_(5)
        #expect(try count.int64s() == [15])
        try count.fill_(7)
        #expect(try count.int64s() == [7])
        #expect(count.dtype == .int64)
        #expect(throws: TorchError.self) { try count.add_(0.5) }
    }
}
