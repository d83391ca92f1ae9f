import Testing
import Torch

/// MultiheadAttention against the textbook computation from its own weights.
@Suite struct NNMultiheadAttentionTests {
    typealias T = NNTest

    /// For each batch item and head h: softmax(Q_h K_h^T / sqrt(d)) V_h with Q = q Wq^T + bq etc., heads
    /// concatenated, then out_proj. Inputs are [L, N, *]; returns the output [L, N, E] and head-averaged
    /// weights [N, L, S].
    static func manual(_ mha: MultiheadAttention, _ q: Tensor, _ k: Tensor, _ v: Tensor, additiveMask: Tensor? = nil)
        throws -> (Tensor, Tensor)
    {
        let e = mha.embedDim
        let d = mha.headDim
        let (wq, wk, wv): (Tensor, Tensor, Tensor)
        if let packed = mha.inProjWeight {
            (wq, wk, wv) = (try packed.narrow(0, start: 0, length: e), try packed.narrow(0, start: e, length: e),
                            try packed.narrow(0, start: 2 * e, length: e))
        } else {
            (wq, wk, wv) = (try #require(mha.qProjWeight), try #require(mha.kProjWeight),
                            try #require(mha.vProjWeight))
        }
        let b = try #require(mha.inProjBias)
        var outputs: [Tensor] = []
        var weights: [Tensor] = []
        for n in 0..<q.size(1) {
            let qn = try q.select(1, n).matmul(wq.transpose(0, 1)) + b.narrow(0, start: 0, length: e)  // [L, E]
            let kn = try k.select(1, n).matmul(wk.transpose(0, 1)) + b.narrow(0, start: e, length: e)  // [S, E]
            let vn = try v.select(1, n).matmul(wv.transpose(0, 1)) + b.narrow(0, start: 2 * e, length: e)
            var heads: [Tensor] = []
            var headWeights: [Tensor] = []
            for h in 0..<mha.numHeads {
                let qh = try qn.narrow(1, start: h * d, length: d)
                let kh = try kn.narrow(1, start: h * d, length: d)
                let vh = try vn.narrow(1, start: h * d, length: d)
                var scores = try qh.matmul(kh.transpose(0, 1)) / Double(d).squareRoot()  // [L, S]
                if let additiveMask { scores = try scores + additiveMask }
                let w = try F.softmax(scores, dim: -1)
                heads.append(try w.matmul(vh))
                headWeights.append(w)
            }
            let concatenated = try Tensor.cat(heads, dim: 1)  // [L, E]
            outputs.append(try concatenated.matmul(mha.outProj.weight.transpose(0, 1)) + #require(mha.outProj.bias))
            weights.append(try Tensor.stack(headWeights).mean([0]))
        }
        return (try Tensor.stack(outputs, dim: 1), try Tensor.stack(weights))
    }

    /// Random biases too, since PyTorch initialises them to zero and a bias bug would otherwise hide.
    static func attention(kdim: Int? = nil, vdim: Int? = nil, batchFirst: Bool = false, dropout: Double = 0) throws
        -> MultiheadAttention
    {
        let mha = try MultiheadAttention(embedDim: 6, numHeads: 2, dropout: dropout, kdim: kdim, vdim: vdim,
                                         batchFirst: batchFirst, dtype: .float64, generator: Generator(seed: 7))
        try withNoGrad {
            try #require(mha.inProjBias).copy_(T.randn([18], seed: 8))
            try #require(mha.outProj.bias).copy_(T.randn([6], seed: 9))
        }
        return mha
    }

    @Test(arguments: [(nil, nil), (4, 3)] as [(Int?, Int?)])
    func matchesManualComputation(kdim: Int?, vdim: Int?) throws {
        let mha = try Self.attention(kdim: kdim, vdim: vdim)
        let q = try T.randn([3, 2, 6], seed: 1)
        let k = try T.randn([4, 2, kdim ?? 6], seed: 2)
        let v = try T.randn([4, 2, vdim ?? 6], seed: 3)
        let (output, weights) = try mha(q, k, v)
        let (expectedOutput, expectedWeights) = try Self.manual(mha, q, k, v)
        #expect(output.shape == [3, 2, 6])
        #expect(try T.maxDifference(output, expectedOutput) < 1e-12)
        #expect(try T.maxDifference(#require(weights), expectedWeights) < 1e-12)
        let perHead = try #require(mha(q, k, v, averageAttnWeights: false).weights)
        #expect(perHead.shape == [2, 2, 3, 4])
        // Without weights the fused kernel runs; it must agree.
        let fused = try mha(q, k, v, needWeights: false)
        #expect(fused.weights == nil)
        #expect(try T.maxDifference(fused.output, expectedOutput) < 1e-12)
    }

    @Test func batchFirstIsATranspose() throws {
        let mha = try Self.attention(batchFirst: true)
        let q = try T.randn([2, 3, 6], seed: 4)
        let kv = try T.randn([2, 5, 6], seed: 5)
        let (output, _) = try mha(q, kv, kv)
        let (expected, _) = try Self.manual(mha, q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1))
        #expect(try T.maxDifference(output, expected.transpose(0, 1)) < 1e-12)
    }

    @Test func masksExcludeKeys() throws {
        let mha = try Self.attention()
        let q = try T.randn([3, 2, 6], seed: 6)
        let kv = try T.randn([4, 2, 6], seed: 7)
        // Batch item 0 ignores key 1, item 1 ignores key 3; no query may look at key 0.
        let padding = try Tensor([false, true, false, false, false, false, false, true], shape: [2, 4])
        let forbidden = try Tensor([true, false, false, false], shape: [1, 4]).expand([3, 4]).contiguous()
        let (output, weightsOrNil) = try mha(q, kv, kv, keyPaddingMask: padding, attnMask: forbidden)
        let weights = try #require(weightsOrNil)  // [2, 3, 4]
        #expect(try weights.select(2, 0).abs().max().item() == 0)
        #expect(try weights.select(0, 0).select(1, 1).abs().max().item() == 0)
        #expect(try weights.select(0, 1).select(1, 3).abs().max().item() == 0)
        #expect(try (weights.sum([2]) - 1).abs().max().item() < 1e-12)

        // The same through a float mask per batch item, checked by hand for item 0.
        let minusInf = -Double.infinity
        let mask0 = try Tensor([minusInf, minusInf, 0, 0]).expand([3, 4])
        let (expected0, _) = try Self.manual(mha, q.narrow(1, start: 0, length: 1), kv.narrow(1, start: 0, length: 1),
                                             kv.narrow(1, start: 0, length: 1), additiveMask: mask0)
        #expect(try T.maxDifference(output.narrow(1, start: 0, length: 1), expected0) < 1e-12)
        let fused = try mha(q, kv, kv, keyPaddingMask: padding, needWeights: false, attnMask: forbidden)
        #expect(try T.maxDifference(fused.output, output) < 1e-12)
    }

    @Test func dropoutOnlyInTraining() throws {
        let mha = try Self.attention(dropout: 0.5)
        let q = try T.randn([4, 1, 6], seed: 8)
        let kv = try T.randn([6, 1, 6], seed: 9)
        let perHead = try #require(mha(q, kv, kv, averageAttnWeights: false).weights)
        let dropped = try perHead.eq(0).sum().item()
        #expect(dropped > 0)
        mha.eval()
        let (output, weights) = try mha(q, kv, kv)
        let (expected, expectedWeights) = try Self.manual(mha, q, kv, kv)
        #expect(try T.maxDifference(output, expected) < 1e-12)
        #expect(try T.maxDifference(#require(weights), expectedWeights) < 1e-12)
    }

    @Test func shapeErrors() throws {
        let mha = try Self.attention()
        #expect(throws: TorchError("MultiheadAttention: expected query [L, N, 6], got [3, 2, 5]")) {
            try mha(T.randn([3, 2, 5], seed: 1), T.randn([4, 2, 6], seed: 2), T.randn([4, 2, 6], seed: 3))
        }
        #expect(throws: TorchError.self) {
            try mha(T.randn([3, 2, 6], seed: 1), T.randn([4, 2, 6], seed: 2), T.randn([5, 2, 6], seed: 3))
        }
        #expect(throws: TorchError.self) { try MultiheadAttention(embedDim: 6, numHeads: 4) }
    }
}
