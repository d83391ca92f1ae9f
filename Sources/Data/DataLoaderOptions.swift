/// Which images are mirrored left to right.
public enum FlipMode: String, Codable, Sendable, CaseIterable {
    case none
    /// rosinality's RandomHorizontalFlip: each image mirrored with probability 0.5, drawn afresh each epoch.
    case random
    /// StyleGAN2-ADA's `--mirror`: the dataset doubled by the mirror image of every image.
    case mirror
}

/// How a `DataLoader` orders, transforms and reads ahead.
public struct DataLoaderOptions: Codable, Sendable, Equatable {
    /// Images per batch; an epoch's last, incomplete batch is dropped (`drop_last=True`).
    public var batchSize: Int
    /// A fresh seeded permutation every epoch; otherwise dataset order.
    public var shuffle: Bool
    public var flip: FlipMode
    /// Background threads that decode and transform images. Batches do not depend on it.
    public var threads: Int
    /// Batches decoded ahead of the one being used.
    public var prefetch: Int
    /// Skip images that cannot be read, decoded or fitted, each replaced by the next good item of the
    /// epoch's order, and list them in `DataLoader.skippedImages`; otherwise the first one is an error.
    public var skipBad: Bool

    public init(batchSize: Int, shuffle: Bool = true, flip: FlipMode = .none, threads: Int = 2, prefetch: Int = 2,
                skipBad: Bool = false)
    {
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.flip = flip
        self.threads = threads
        self.prefetch = prefetch
        self.skipBad = skipBad
    }

    /// rosinality's `train.py`: shuffled (RandomSampler), RandomHorizontalFlip, batches of `--batch` (16).
    public static func rosinality(batchSize: Int = 16) -> DataLoaderOptions {
        DataLoaderOptions(batchSize: batchSize, flip: .random)
    }

    /// StyleGAN2-ADA's `train.py`: shuffled, the dataset doubled by mirror images with `--mirror=1`.
    public static func styleGAN2ADA(batchSize: Int, mirror: Bool) -> DataLoaderOptions {
        DataLoaderOptions(batchSize: batchSize, flip: mirror ? .mirror : .none)
    }
}
