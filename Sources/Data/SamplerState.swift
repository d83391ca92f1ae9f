/// Where a `DataLoader` stands: everything that decides the batches still to come. Saved in a checkpoint
/// and handed back to a new loader, it makes that loader yield exactly the batches the first one would have.
///
/// The order of epoch e is a permutation drawn from (seed, e) alone, so no generator state beyond these
/// three numbers exists.
public struct SamplerState: Codable, Sendable, Equatable, Hashable {
    public var seed: UInt64
    /// Epochs completed.
    public var epoch: Int
    /// Items of the current epoch's order already handed out; the next batch starts there.
    public var position: Int

    public init(seed: UInt64, epoch: Int = 0, position: Int = 0) {
        self.seed = seed
        self.epoch = epoch
        self.position = position
    }
}

/// The data order: for each epoch a permutation of the items (or the identity without shuffling), and each
/// item's flip. Items are images, or with `FlipMode.mirror` images then their mirror images; or any indexed items
/// (the seeds a Feature-Style run draws its synthetic images from).
public struct Sampler: Sendable {
    public let seed: UInt64
    public let items: Int
    public let shuffle: Bool

    public init(seed: UInt64, items: Int, shuffle: Bool) {
        self.seed = seed
        self.items = items
        self.shuffle = shuffle
    }

    /// The order of `epoch`'s items: Fisher-Yates with a SplitMix64 stream seeded by (seed, epoch).
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<items)
        guard shuffle else { return order }
        var random = SplitMix64(state: mix(seed, UInt64(epoch), Self.orderStream))
        for i in stride(from: items - 1, to: 0, by: -1) {
            order.swapAt(i, random.next(below: i + 1))
        }
        return order
    }

    /// The next `count` items from `state`, which moves past them: the rest of the current epoch's order, or the next
    /// epoch's start when fewer than `count` are left (`drop_last`). `count` must be at most `items`.
    public func next(_ count: Int, from state: inout SamplerState) -> [Int] {
        precondition(count >= 1 && count <= items, "a batch of \(count) from \(items) items")
        if state.position + count > items { (state.epoch, state.position) = (state.epoch + 1, 0) }
        let picked = Array(order(epoch: state.epoch)[state.position..<(state.position + count)])
        state.position += count
        return picked
    }

    /// rosinality's RandomHorizontalFlip (p = 0.5), drawn afresh per (epoch, item) so that it does not
    /// depend on which thread decodes the item or when.
    func randomFlip(epoch: Int, item: Int) -> Bool {
        mix(seed, UInt64(epoch), Self.flipStream ^ UInt64(item)) >> 63 == 1
    }

    private static let orderStream: UInt64 = 0x6F72_6465_7200_0000  // "order"
    private static let flipStream: UInt64 = 0x666C_6970_0000_0000   // "flip"
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose whole state is one number.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return finalize(state)
    }

    /// Uniform in 0..<bound, without modulo bias (Lemire's multiply-and-reject).
    mutating func next(below bound: Int) -> Int {
        let n = UInt64(bound)
        while true {
            let product = next().multipliedFullWidth(by: n)
            if product.low >= (0 &- n) % n { return Int(product.high) }
        }
    }
}

/// SplitMix64's output function: a bijective mix of all 64 bits.
private func finalize(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// One well-mixed number from several.
private func mix(_ values: UInt64...) -> UInt64 {
    values.reduce(0x243F_6A88_85A3_08D3) { finalize(($0 &+ 0x9E37_79B9_7F4A_7C15) ^ $1) }
}
