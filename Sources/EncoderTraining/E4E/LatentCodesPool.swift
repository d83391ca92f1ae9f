import Torch

/// e4e's `LatentCodesPool` (CycleGAN's image buffer for codes): until `size` codes are stored each query returns its
/// codes and keeps them; afterwards each code is, with probability 1/2, swapped for a random stored one. A code of
/// several rows [k, D] is first reduced to one random row. Python's `random` draws become draws from `generator`.
struct LatentCodesPool {
    let size: Int
    /// The stored codes, [D] each.
    private(set) var codes: [Tensor] = []

    init(size: Int) {
        self.size = size
    }

    /// [N, D] or [N, k, D] -> [N, D]
    mutating func query(_ ws: Tensor, generator: Torch.Generator) throws -> Tensor {
        guard size > 0 else { return ws }
        var returned: [Tensor] = []
        for n in 0..<ws.size(0) {
            var w = try ws.select(0, n).detach()
            if w.rank == 2 { w = try w.select(0, Self.randint(0, w.size(0) - 1, generator)) }
            if codes.count < size {
                codes.append(w)
                returned.append(w)
            } else if try Tensor.rand([1], generator: generator).item() > 0.5 {
                let slot = try Self.randint(0, size - 1, generator)
                returned.append(try codes[slot].clone())
                codes[slot] = w
            } else {
                returned.append(w)
            }
        }
        return try Tensor.stack(returned)
    }

    /// Python's `random.randint(low, high)`: inclusive of both ends.
    private static func randint(_ low: Int, _ high: Int, _ generator: Torch.Generator) throws -> Int {
        try Tensor.randint(low, high + 1, [1], generator: generator).itemInt()
    }

    /// The stored codes as [count, D] (nil when empty), for checkpoints.
    var state: Tensor? {
        get throws { codes.isEmpty ? nil : try Tensor.stack(codes) }
    }

    /// Restores `state`'s codes.
    mutating func restore(_ state: Tensor?) throws {
        codes = try state.map { s in try (0..<s.size(0)).map { try s.select(0, $0) } } ?? []
        guard codes.count <= size else { throw EncoderTrainingError("the checkpoint's code pool holds \(codes.count) codes, more than --w_pool_size \(size)") }
    }
}
