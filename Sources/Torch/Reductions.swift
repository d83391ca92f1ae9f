import CTorch

/// Reductions over dimensions; `dims` empty means all dimensions.
extension Tensor {
    enum Reduction: Int32 { case sum = 0, mean, prod, amax, amin, logsumexp, all, any }

    func reduce(_ op: Reduction, _ dims: [Int], _ keepdim: Bool) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_reduce(op.rawValue, handle, d, d.count, keepdim ? 1 : 0, $0) }
    }

    public func sum(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.sum, dims, keepdim) }
    public func mean(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.mean, dims, keepdim) }
    public func prod(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.prod, dims, keepdim) }
    public func max(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.amax, dims, keepdim) }
    public func min(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.amin, dims, keepdim) }
    public func logsumexp(_ dims: [Int], keepdim: Bool = false) throws -> Tensor { try reduce(.logsumexp, dims, keepdim) }
    public func all(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.all, dims, keepdim) }
    public func any(_ dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(.any, dims, keepdim) }

    /// Variance with Bessel's correction by default (`correction` 1), as `torch.var`.
    public func variance(_ dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_var(handle, d, d.count, correction, keepdim ? 1 : 0, $0) }
    }

    public func std(_ dims: [Int] = [], correction: Double = 1, keepdim: Bool = false) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_std(handle, d, d.count, correction, keepdim ? 1 : 0, $0) }
    }

    /// Vector p-norm over `dims` (all by default), as `torch.linalg.vector_norm`.
    public func norm(_ p: Double = 2, dims: [Int] = [], keepdim: Bool = false) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_norm(handle, p, d, d.count, keepdim ? 1 : 0, $0) }
    }

    public func argmax(_ dim: Int, keepdim: Bool = false) throws -> Tensor {
        try Tensor.produce(self) { ct_argmax(handle, Int64(dim), keepdim ? 1 : 0, $0) }
    }

    public func argmin(_ dim: Int, keepdim: Bool = false) throws -> Tensor {
        try Tensor.produce(self) { ct_argmin(handle, Int64(dim), keepdim ? 1 : 0, $0) }
    }

    /// Maximum values and their indices along `dim`.
    public func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try Tensor.produce2(self) { ct_max_dim(handle, Int64(dim), keepdim ? 1 : 0, $0, $1) }
    }

    public func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try Tensor.produce2(self) { ct_min_dim(handle, Int64(dim), keepdim ? 1 : 0, $0, $1) }
    }

    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws
        -> (values: Tensor, indices: Tensor)
    {
        try Tensor.produce2(self) { ct_topk(handle, Int64(k), Int64(dim), largest ? 1 : 0, sorted ? 1 : 0, $0, $1) }
    }

    public func sort(dim: Int = -1, descending: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try Tensor.produce2(self) { ct_sort(handle, Int64(dim), descending ? 1 : 0, $0, $1) }
    }

    public func cumsum(_ dim: Int) throws -> Tensor { try Tensor.produce(self) { ct_cumsum(handle, Int64(dim), $0) } }
}
