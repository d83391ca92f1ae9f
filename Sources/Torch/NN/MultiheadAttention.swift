/// Multi-head attention, as `torch.nn.MultiheadAttention`, with its parameter names so checkpoints load as is.
///
/// Each of `numHeads` heads attends with softmax(q k^T / sqrt(E / numHeads)) v over its slice of the projected
/// embedding; the heads' outputs are concatenated and projected by `out_proj`. When key and value have the query's
/// width E the three input projections are stacked in `in_proj_weight` [3E, E]; otherwise they are separate
/// (`q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim]), as in PyTorch.
public final class MultiheadAttention: Module {
    public let embedDim: Int
    public let numHeads: Int
    public let headDim: Int
    public let kdim: Int
    public let vdim: Int
    /// Dropout on the attention weights, in training only.
    public let dropout: Double
    /// Inputs and output are [N, L, E] rather than [L, N, E].
    public let batchFirst: Bool
    /// [3E, E], when kdim == vdim == E.
    public let inProjWeight: Tensor?
    /// [E, E], [E, kdim], [E, vdim], when kdim or vdim differ from E.
    public let qProjWeight: Tensor?
    public let kProjWeight: Tensor?
    public let vProjWeight: Tensor?
    /// [3E] (query, key, value biases), present with `bias`.
    public let inProjBias: Tensor?
    public let outProj: Linear

    public init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, kdim: Int? = nil,
                vdim: Int? = nil, batchFirst: Bool = false, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) throws
    {
        guard embedDim > 0, numHeads > 0, embedDim % numHeads == 0 else {
            throw TorchError("MultiheadAttention: embedDim \(embedDim) must be divisible by numHeads \(numHeads)")
        }
        guard (0...1).contains(dropout) else {
            throw TorchError("MultiheadAttention: dropout must be in [0, 1], got \(dropout)")
        }
        self.embedDim = embedDim
        self.numHeads = numHeads
        headDim = embedDim / numHeads
        self.kdim = kdim ?? embedDim
        self.vdim = vdim ?? embedDim
        self.dropout = dropout
        self.batchFirst = batchFirst
        // PyTorch builds out_proj (drawing its default init) before drawing the input projections.
        outProj = try Linear(embedDim, embedDim, bias: bias, dtype: dtype, device: device, generator: generator)
        func xavier(_ shape: [Int]) throws -> Tensor {
            try Init.tensor(shape, dtype: dtype, device: device) { try Init.xavierUniform_($0, generator: generator) }
        }
        if self.kdim == embedDim && self.vdim == embedDim {
            inProjWeight = try xavier([3 * embedDim, embedDim])
            (qProjWeight, kProjWeight, vProjWeight) = (nil, nil, nil)
        } else {
            inProjWeight = nil
            qProjWeight = try xavier([embedDim, embedDim])
            kProjWeight = try xavier([embedDim, self.kdim])
            vProjWeight = try xavier([embedDim, self.vdim])
        }
        inProjBias = bias ? try Tensor.zeros([3 * embedDim], dtype: dtype, device: device) : nil
        super.init()
        try withNoGrad { try outProj.bias?.zero_() }  // PyTorch starts both projections' biases at zero.
        try register(parameter: "in_proj_weight", inProjWeight)
        try register(parameter: "q_proj_weight", qProjWeight)
        try register(parameter: "k_proj_weight", kProjWeight)
        try register(parameter: "v_proj_weight", vProjWeight)
        try register(parameter: "in_proj_bias", inProjBias)
        try register(module: "out_proj", outProj)
    }

    /// Attends from `query` to `key`/`value`.
    ///
    /// - query [L, N, E], key [S, N, kdim], value [S, N, vdim] (batch first: [N, L, E], ...).
    /// - keyPaddingMask [N, S]: true (bool) marks keys to ignore; a float mask is added to the scores.
    /// - attnMask [L, S] or [N * numHeads, L, S]: true (bool) forbids attending; a float mask is added.
    /// - Returns output [L, N, E] (batch first [N, L, E]) and, with `needWeights`, the attention weights
    ///   [N, L, S] averaged over heads, or [N, numHeads, L, S] without `averageAttnWeights`.
    public func callAsFunction(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
                               needWeights: Bool = true, attnMask: Tensor? = nil, averageAttnWeights: Bool = true)
        throws -> (output: Tensor, weights: Tensor?)
    {
        let layout: [Dim] = batchFirst ? ["N", "L", .size(embedDim)] : ["L", "N", .size(embedDim)]
        try expectInput(query, layout, name: "query")
        try expectInput(key, batchFirst ? ["N", "S", .size(kdim)] : ["S", "N", .size(kdim)], name: "key")
        try expectInput(value, batchFirst ? ["N", "S", .size(vdim)] : ["S", "N", .size(vdim)], name: "value")
        let (q, k, v) = batchFirst ? (try query.transpose(0, 1), try key.transpose(0, 1), try value.transpose(0, 1))
            : (query, key, value)
        let (l, n, s) = (q.size(0), q.size(1), k.size(0))
        guard k.size(1) == n, v.size(1) == n, v.size(0) == s else {
            throw TorchError("MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) "
                + "disagree on batch size or key/value length")
        }
        let (qw, kw, vw) = try projectionWeights()
        let biases = try inProjBias?.chunk(3)
        // [L or S, N, E] -> [N * heads, L or S, headDim]
        func heads(_ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
            let projected = try F.linear(x, w, bias: b)
            return try projected.reshape([x.size(0), n * numHeads, headDim]).transpose(0, 1)
        }
        let qh = try heads(q, qw, biases?[0])
        let kh = try heads(k, kw, biases?[1])
        let vh = try heads(v, vw, biases?[2])
        let mask = try additiveMask(keyPaddingMask: keyPaddingMask, attnMask: attnMask, n: n, l: l, s: s, like: qh)
        let p = isTraining ? dropout : 0
        var weights: Tensor?
        let attended: Tensor  // [N * heads, L, headDim]
        if needWeights {
            var scores = try (qh * (1 / Double(headDim).squareRoot())).bmm(kh.transpose(1, 2))  // [N * heads, L, S]
            if let mask { scores = try scores + mask }
            var w = try F.softmax(scores, dim: -1)
            if p > 0 { w = try F.dropout(w, p: p, training: true) }
            attended = try w.bmm(vh)
            let perHead = try w.reshape([n, numHeads, l, s])
            weights = averageAttnWeights ? try perHead.mean([1]) : perHead
        } else {
            attended = try F.scaledDotProductAttention(qh, kh, vh, mask: mask, dropout: p)
        }
        var output = try outProj(attended.transpose(0, 1).reshape([l, n, embedDim]))  // [L, N, E]
        if batchFirst { output = try output.transpose(0, 1) }
        return (output, weights)
    }

    private func projectionWeights() throws -> (Tensor, Tensor, Tensor) {
        if let inProjWeight {
            let w = try inProjWeight.chunk(3)
            return (w[0], w[1], w[2])
        }
        guard let qProjWeight, let kProjWeight, let vProjWeight else {
            throw TorchError("MultiheadAttention: projection weights missing")
        }
        return (qProjWeight, kProjWeight, vProjWeight)
    }

    /// Both masks as one float mask added to the scores: [N * heads or 1, L, S], or nil when there is none.
    private func additiveMask(keyPaddingMask: Tensor?, attnMask: Tensor?, n: Int, l: Int, s: Int, like q: Tensor)
        throws -> Tensor?
    {
        func additive(_ mask: Tensor) throws -> Tensor {
            guard mask.dtype == .bool else { return try mask.to(device: q.device, dtype: q.dtype) }
            let zeros = try Tensor.zeros(mask.shape, dtype: q.dtype, device: q.device)
            return try zeros.maskedFill(mask.to(device: q.device), -Double.infinity)
        }
        var combined: Tensor?
        if let attnMask {
            guard attnMask.shape == [l, s] || attnMask.shape == [n * numHeads, l, s] else {
                throw TorchError("MultiheadAttention: expected attnMask [\(l), \(s)] or "
                    + "[\(n * numHeads), \(l), \(s)], got \(attnMask.shape)")
            }
            combined = try additive(attnMask.rank == 2 ? attnMask.unsqueeze(0) : attnMask)
        }
        if let keyPaddingMask {
            guard keyPaddingMask.shape == [n, s] else {
                throw TorchError("MultiheadAttention: expected keyPaddingMask [\(n), \(s)], got \(keyPaddingMask.shape)")
            }
            let perHead = try additive(keyPaddingMask).reshape([n, 1, 1, s]).expand([n, numHeads, 1, s])
                .reshape([n * numHeads, 1, s])
            combined = try combined.map { try $0 + perHead } ?? perHead
        }
        return combined
    }
}
