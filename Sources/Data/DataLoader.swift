import Foundation
import Torch

/// One batch of training images.
public struct Batch: Sendable {
    /// [B, 3, S, S] float32 in [-1, 1], on the CPU.
    public let images: Tensor
    /// [B, L] float32 (one-hot classes or label vectors) when the dataset has labels.
    public let labels: Tensor?
    /// The dataset index of each image.
    public let indices: [Int]
    /// Whether each image was mirrored.
    public let flipped: [Bool]
}

/// An endless stream of batches (rosinality's `sample_data`): epoch after epoch, each in a seeded order,
/// decoded by background threads a few batches ahead so that a training step does not wait for data as
/// long as decoding keeps up.
///
/// Everything random is a function of the seed, the epoch and the item (see `SamplerState`), so the same
/// seed gives the same batches with any number of threads, and a loader made from a saved `state` yields
/// exactly the batches the saved one would have. `next()` may be called from any one thread at a time.
public final class DataLoader: Sendable {
    public let dataset: ImageDataset
    public let options: DataLoaderOptions
    private let pipeline: Pipeline

    /// A loader at the start of epoch 0.
    public convenience init(dataset: ImageDataset, options: DataLoaderOptions, seed: UInt64) throws {
        try self.init(dataset: dataset, options: options, state: SamplerState(seed: seed))
    }

    /// A loader that continues from `state` (a saved `DataLoader.state`).
    public init(dataset: ImageDataset, options: DataLoaderOptions, state: SamplerState) throws {
        func invalid(_ message: String) -> DataError { DataError(.invalidArgument, message) }
        guard options.batchSize > 0 else { throw invalid("batch size \(options.batchSize); it must be positive") }
        guard options.threads > 0 else { throw invalid("\(options.threads) loader threads; at least 1 is needed") }
        guard options.prefetch > 0 else { throw invalid("prefetch of \(options.prefetch) batches; at least 1 is needed") }
        let items = dataset.count * (options.flip == .mirror ? 2 : 1)
        guard items >= options.batchSize else {
            throw DataError(.empty, path: dataset.source.path,
                            "\(items) images, fewer than one batch of \(options.batchSize)")
        }
        guard state.epoch >= 0, (0...items).contains(state.position) else {
            throw invalid("the saved loader state (epoch \(state.epoch), position \(state.position)) does not fit a "
                + "dataset of \(items) images; was it saved for another dataset?")
        }
        self.dataset = dataset
        self.options = options
        pipeline = Pipeline(dataset: dataset, options: options,
                            sampler: Sampler(seed: state.seed, items: items, shuffle: options.shuffle), state: state)
        pipeline.start()
    }

    deinit { pipeline.stop() }

    /// The next batch; waits while it is being decoded. After an error every call throws it again; a loader
    /// made from `state` retries the failed batch.
    public func next() throws -> Batch { try pipeline.next() }

    /// Where the loader stands: the next batch starts there. Save it to resume.
    public var state: SamplerState { pipeline.state }

    /// Full batches per epoch.
    public var batchesPerEpoch: Int { pipeline.sampler.items / options.batchSize }

    /// The images skipped as bad so far (with `skipBad`), as their dataset names them, in dataset order.
    /// Images decoded ahead count too.
    public var skippedImages: [String] { pipeline.skipped.map { dataset.source.name(of: $0) } }
}

/// The worker threads and the queue of batches between them and `next()`.
private final class Pipeline: @unchecked Sendable {
    let dataset: ImageDataset
    let options: DataLoaderOptions
    let sampler: Sampler
    private let condition = NSCondition()

    // Guarded by `condition`.
    /// The start of the next batch `next()` returns.
    private var returned: SamplerState
    /// The start of the next batch to schedule.
    private var scheduled: SamplerState
    /// Scheduled batches in order; the first is the next `next()` returns.
    private var jobs: [Job] = []
    /// Images waiting for a worker, earliest batch first.
    private var tasks: [(job: Job, slot: Int)] = []
    private var latestOrder: (epoch: Int, order: [Int])?
    /// Images found bad (a cache: a bad image fails the same way when decoded again).
    private var bad: [Int: DataError] = [:]
    private var failure: (any Error)?
    private var stopped = false
    private var running = 0

    init(dataset: ImageDataset, options: DataLoaderOptions, sampler: Sampler, state: SamplerState) {
        self.dataset = dataset
        self.options = options
        self.sampler = sampler
        returned = state
        scheduled = state
    }

    func start() {
        condition.lock()
        returned = normalized(returned)
        scheduled = returned
        for _ in 0..<options.prefetch { schedule() }
        running = options.threads
        condition.unlock()
        for index in 0..<options.threads {
            let thread = Thread { [self] in work() }
            thread.name = "DataLoader.\(index)"
            thread.start()
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        tasks.removeAll()
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    var state: SamplerState {
        condition.lock()
        defer { condition.unlock() }
        return returned
    }

    var skipped: [Int] {
        condition.lock()
        defer { condition.unlock() }
        return bad.keys.sorted()
    }

    func next() throws -> Batch {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        let job = jobs.removeFirst()
        while job.batch == nil { condition.wait() }
        schedule()
        switch job.batch! {
        case .success(let batch):
            returned = job.end
            return batch
        case .failure(let error):
            failure = error
            throw error
        }
    }

    /// A state whose batch lies inside its epoch: past the last full batch comes the next epoch.
    private func normalized(_ state: SamplerState) -> SamplerState {
        state.position + options.batchSize > sampler.items
            ? SamplerState(seed: state.seed, epoch: state.epoch + 1, position: 0) : state
    }

    /// Queues the batch at `scheduled` for the workers. Holds the lock.
    private func schedule() {
        let epoch = scheduled.epoch
        if latestOrder?.epoch != epoch { latestOrder = (epoch, sampler.order(epoch: epoch)) }
        let end = normalized(SamplerState(seed: scheduled.seed, epoch: epoch, position: scheduled.position + options.batchSize))
        let job = Job(epoch: epoch, order: latestOrder!.order, start: scheduled.position, end: end, size: options.batchSize)
        jobs.append(job)
        tasks += (0..<options.batchSize).map { (job, $0) }
        scheduled = end
        condition.broadcast()
    }

    private func work() {
        condition.lock()
        while !stopped {
            guard !tasks.isEmpty else {
                condition.wait()
                continue
            }
            let (job, slot) = tasks.removeFirst()
            condition.unlock()
            let result = Result { try load(job, slot: slot) }
            condition.lock()
            job.results[slot] = result
            job.remaining -= 1
            if job.remaining == 0 {
                condition.unlock()
                let batch = Result { try assemble(job) }
                condition.lock()
                job.batch = batch
                condition.broadcast()
            }
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The image of one slot: the item at its place in the epoch's order or, with `skipBad`, the first good
    /// item after it.
    private func load(_ job: Job, slot: Int) throws -> Item {
        let count = dataset.count
        var first: DataError?
        for step in 0..<sampler.items {
            let item = job.order[(job.start + slot + step) % sampler.items]
            let index = item % count
            let flipped = item >= count || (options.flip == .random && sampler.randomFlip(epoch: job.epoch, item: item))
            do {
                if let known = knownBad(index) { throw known }
                return Item(index: index, flipped: flipped, image: try dataset.image(at: index, flipped: flipped))
            } catch let error as DataError where error.isImageProblem {
                remember(index, error)
                guard options.skipBad else { throw error }
                first = first ?? error
            }
        }
        throw DataError(.noGoodImages, path: dataset.source.path,
                        "every image was skipped as bad; the first: \(first.map(String.init(describing:)) ?? "")")
    }

    private func knownBad(_ index: Int) -> DataError? {
        condition.lock()
        defer { condition.unlock() }
        return bad[index]
    }

    private func remember(_ index: Int, _ error: DataError) {
        condition.lock()
        bad[index] = error
        condition.unlock()
    }

    private func assemble(_ job: Job) throws -> Batch {
        let items = try job.results.map { try $0!.get() }
        let images = try Tensor.stack(items.map(\.image))  // [B, 3, S, S]
        let labels = try dataset.labels.map { labels in
            try Tensor(items.flatMap { labels.vector(at: $0.index) }, shape: [items.count, labels.dimension])
        }
        return Batch(images: images, labels: labels, indices: items.map(\.index), flipped: items.map(\.flipped))
    }
}

/// One scheduled batch: its place in the epoch's order and the slots the workers fill.
private final class Job {
    let epoch: Int
    let order: [Int]
    let start: Int
    /// The loader's state once this batch is returned.
    let end: SamplerState
    var results: [Result<Item, any Error>?]
    var remaining: Int
    var batch: Result<Batch, any Error>?

    init(epoch: Int, order: [Int], start: Int, end: SamplerState, size: Int) {
        self.epoch = epoch
        self.order = order
        self.start = start
        self.end = end
        results = Array(repeating: nil, count: size)
        remaining = size
    }
}

private struct Item {
    let index: Int
    let flipped: Bool
    let image: Tensor  // [3, S, S]
}
