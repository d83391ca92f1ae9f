import Testbed
import Torch

/// A shuffle buffer of renders made on the fly: each step renders `fresh` new samples of the split (drawn from
/// the first `samples` indices, counting `variations` renders per identity; with the split's own 16 these are the
/// split's indices) and the batch is drawn from the renders of the last `steps` steps, so each render
/// serves about `batch * steps / (fresh * steps)` batches before it leaves. Which samples step j renders depends
/// on the seed and j alone, so the pool at any step is rebuilt exactly after a resume.
final class RenderPool {
    let renderer: TestbedRenderer
    let split: TestbedSplit
    let samples: Int
    let variations: Int
    let fresh: Int
    let steps: Int
    let seed: UInt64
    /// Renders of steps `last - steps + 1 ... last`, oldest first: images [F, 3, S, S], attributes [F, A],
    /// identities [F].
    private var entries: [PoolBatch] = []
    private var last: Int?

    init(renderer: TestbedRenderer, split: TestbedSplit, samples: Int,
         variations: Int = TestbedSplit.variationsPerIdentity, fresh: Int, steps: Int, seed: UInt64)
    {
        (self.renderer, self.split, self.samples, self.variations, self.fresh, self.steps, self.seed) =
            (renderer, split, samples, variations, fresh, steps, seed)
    }

    /// The samples step `j` renders.
    func samples(ofStep j: Int) throws -> [TestbedSample] {
        let generator = try StepSchedule.generator(seed: seed ^ 0x5EED_F00D, index: j)
        return try Tensor.randint(0, samples, [fresh], generator: generator).int64s().map {
            TestbedSample(split: split, identity: split.identities.lowerBound + Int($0) / variations,
                          variation: Int($0) % variations)
        }
    }

    /// Advances the pool to hold steps `max(0, index - steps + 1) ... index` and draws `batch` renders (with replacement)
    /// from it with `generator`.
    func batch(at index: Int, count batch: Int, generator: Torch.Generator) throws -> PoolBatch {
        if last != index - 1 {
            entries = []
            for j in Swift.max(0, index - steps + 1)..<index { entries.append(try render(step: j)) }
        }
        entries.append(try render(step: index))
        if entries.count > steps { entries.removeFirst(entries.count - steps) }
        last = index
        let picks = try Tensor.randint(0, entries.reduce(0) { $0 + $1.images.shape[0] }, [batch], generator: generator)
        func pick(_ parts: [Tensor]) throws -> Tensor {
            let all = try Tensor.cat(parts)
            return try all.indexSelect(0, picks.to(device: all.device))
        }
        return PoolBatch(images: try pick(entries.map(\.images)), attributes: try pick(entries.map(\.attributes)),
                         identities: try pick(entries.map(\.identities)))
    }

    private func render(step j: Int) throws -> PoolBatch {
        let rendered = try renderer.render(samples(ofStep: j))
        return PoolBatch(images: rendered.images, attributes: rendered.attributes, identities: rendered.identities)
    }
}

/// Renders drawn from a `RenderPool`, with their ground truth.
struct PoolBatch {
    /// [N, 3, S, S] in [-1, 1]
    let images: Tensor
    /// [N, A]
    let attributes: Tensor
    /// [N] int64
    let identities: Tensor
}
