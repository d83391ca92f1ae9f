import CTorch

/// Views, joins, splits and indexing. Negative dims count from the end, as in PyTorch.
extension Tensor {
    public func reshape(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.produce(self) { ct_reshape(handle, s, s.count, $0) }
    }

    /// A view sharing storage; fails where the strides do not allow it (use `reshape`).
    public func view(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.produce(self) { ct_view(handle, s, s.count, $0) }
    }

    public func permute(_ dims: [Int]) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_permute(handle, d, d.count, $0) }
    }

    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try Tensor.produce(self) { ct_transpose(handle, Int64(d0), Int64(d1), $0) }
    }

    /// Removes every size-1 dimension, or only `dim`.
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        if let dim { return try Tensor.produce(self) { ct_squeeze_dim(handle, Int64(dim), $0) } }
        return try Tensor.produce(self) { ct_squeeze(handle, $0) }
    }

    public func unsqueeze(_ dim: Int) throws -> Tensor {
        try Tensor.produce(self) { ct_unsqueeze(handle, Int64(dim), $0) }
    }

    public func flatten(from start: Int = 0, to end: Int = -1) throws -> Tensor {
        try Tensor.produce(self) { ct_flatten(handle, Int64(start), Int64(end), $0) }
    }

    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.produce(self) { ct_expand(handle, s, s.count, $0) }
    }

    public func expand(as other: Tensor) throws -> Tensor { try expand(other.shape) }

    /// Tiles the tensor, as `torch.Tensor.repeat`.
    public func `repeat`(_ repeats: [Int]) throws -> Tensor {
        let r = repeats.map(Int64.init)
        return try Tensor.produce(self) { ct_repeat(handle, r, r.count, $0) }
    }

    public func flip(_ dims: [Int]) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_flip(handle, d, d.count, $0) }
    }

    public func roll(_ shifts: [Int], dims: [Int]) throws -> Tensor {
        let s = shifts.map(Int64.init)
        let d = dims.map(Int64.init)
        return try Tensor.produce(self) { ct_roll(handle, s, s.count, d, d.count, $0) }
    }

    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try produce(all: tensors) { out in
            let h = handles(tensors)
            return ct_cat(h, h.count, Int64(dim), out)
        }
    }

    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try produce(all: tensors) { out in
            let h = handles(tensors)
            return ct_stack(h, h.count, Int64(dim), out)
        }
    }

    private func list(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<OpaquePointer?>?>, UnsafeMutablePointer<Int>)
        -> Int32) throws -> [Tensor]
    {
        try withExtendedLifetime(self) {
            var items: UnsafeMutablePointer<OpaquePointer?>?
            var n = 0
            try check(body(&items, &n))
            return Tensor.adoptList(items, count: n)
        }
    }

    /// Splits into pieces of the given sizes along `dim`.
    public func split(_ sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        let s = sizes.map(Int64.init)
        return try list { ct_split(handle, s, s.count, Int64(dim), $0, $1) }
    }

    /// Splits into pieces of `size` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        guard size > 0 else { throw TorchError("split size must be positive, got \(size)") }
        let total = self.size(dim)
        var sizes = [Int](repeating: size, count: total / size)
        if total % size != 0 { sizes.append(total % size) }
        return try split(sizes, dim: dim)
    }

    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        try list { ct_chunk(handle, Int64(chunks), Int64(dim), $0, $1) }
    }

    public func unbind(_ dim: Int = 0) throws -> [Tensor] {
        try list { ct_unbind(handle, Int64(dim), $0, $1) }
    }

    public func narrow(_ dim: Int, start: Int, length: Int) throws -> Tensor {
        try Tensor.produce(self) { ct_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }

    /// Elements `start..<end` (clamped as in Python slicing) every `step` along `dim`.
    public func slice(_ dim: Int, _ start: Int, _ end: Int, step: Int = 1) throws -> Tensor {
        try Tensor.produce(self) { ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step), $0) }
    }

    public func slice(_ dim: Int, _ range: Range<Int>) throws -> Tensor { try slice(dim, range.lowerBound, range.upperBound) }

    /// Index `index` along `dim`, removing that dimension.
    public func select(_ dim: Int, _ index: Int) throws -> Tensor {
        try Tensor.produce(self) { ct_select(handle, Int64(dim), Int64(index), $0) }
    }

    public subscript(_ index: Int) -> Tensor {
        get throws { try select(0, index) }
    }

    public func indexSelect(_ dim: Int, _ index: Tensor) throws -> Tensor {
        try Tensor.produce(self, index) { ct_index_select(handle, Int64(dim), index.handle, $0) }
    }

    public func gather(_ dim: Int, _ index: Tensor) throws -> Tensor {
        try Tensor.produce(self, index) { ct_gather(handle, Int64(dim), index.handle, $0) }
    }

    public func scatter(_ dim: Int, _ index: Tensor, _ source: Tensor) throws -> Tensor {
        try Tensor.produce(self, index, source) { ct_scatter(handle, Int64(dim), index.handle, source.handle, $0) }
    }

    public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
        try Tensor.produce(self, mask) { ct_masked_fill(handle, mask.handle, value, $0) }
    }

    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        try Tensor.produce(self, mask) { ct_masked_select(handle, mask.handle, $0) }
    }

    /// Elementwise `condition ? a : b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try produce(condition, a, b) { ct_where(condition.handle, a.handle, b.handle, $0) }
    }

    public enum PadMode: Int32, Sendable { case constant = 0, reflect = 1, replicate = 2, circular = 3 }

    /// Pads the last dimensions; `padding` is (left, right, top, bottom, ...) as in `F.pad`.
    public func pad(_ padding: [Int], mode: PadMode = .constant, value: Double = 0) throws -> Tensor {
        let p = padding.map(Int64.init)
        return try Tensor.produce(self) { ct_pad(handle, p, p.count, mode.rawValue, value, $0) }
    }

    public func tril(_ diagonal: Int = 0) throws -> Tensor { try Tensor.produce(self) { ct_tril(handle, Int64(diagonal), $0) } }
    public func triu(_ diagonal: Int = 0) throws -> Tensor { try Tensor.produce(self) { ct_triu(handle, Int64(diagonal), $0) } }

    public func diagonal(offset: Int = 0, _ d0: Int = 0, _ d1: Int = 1) throws -> Tensor {
        try Tensor.produce(self) { ct_diagonal(handle, Int64(offset), Int64(d0), Int64(d1), $0) }
    }

    /// Indices of non-zero elements, [count, rank].
    public func nonzero() throws -> Tensor { try Tensor.produce(self) { ct_nonzero(handle, $0) } }
}
