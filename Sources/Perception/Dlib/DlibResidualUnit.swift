import Torch

extension DlibFaceRecognition {
    /// A frozen batch norm as dlib stores it (`affine_`): gamma x + beta per channel.
    public final class Affine: Module, Layer {
        /// [C]
        public let gamma: Tensor
        /// [C]
        public let beta: Tensor

        public init(_ channels: Int) throws {
            gamma = try Tensor.ones([channels])
            beta = try Tensor.zeros([channels])
            super.init()
            try register(parameter: "gamma", gamma)
            try register(parameter: "beta", beta)
        }

        /// [N, C, H, W] -> [N, C, H, W]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let c = gamma.size(0)
            return try x * gamma.reshape([1, c, 1, 1]) + beta.reshape([1, c, 1, 1])
        }
    }

    /// dlib's `ares` / `ares_down`: relu(block(x) + shortcut), the block being con 3x3 (carrying the stride), affine,
    /// relu, con 3x3, affine. `ares_down`'s shortcut is a 2x2/2 average pool of x.
    ///
    /// The sum is dlib's `add_prev`: when the shapes differ it has the larger of each dimension and each side adds
    /// only where it has values, as if the smaller were zero-padded at the end. That happens in every downsampling
    /// unit (the shortcut has half the channels), and in the last two, where the strided block output (3x3, 1x1) is
    /// smaller than the pooled shortcut (4x4, 2x2).
    public final class Unit: Module, Layer {
        public let downsample: Bool
        public let con1: Conv2d
        public let affine1: Affine
        public let con2: Conv2d
        public let affine2: Affine

        public init(_ inChannels: Int, _ channels: Int, downsample: Bool) throws {
            self.downsample = downsample
            con1 = try Conv2d(inChannels, channels, kernelSize: 3, stride: Size2(downsample ? 2 : 1), padding: Size2(downsample ? 0 : 1))
            affine1 = try Affine(channels)
            con2 = try Conv2d(channels, channels, kernelSize: 3, padding: 1)
            affine2 = try Affine(channels)
            super.init()
            try register(module: "con1", con1)
            try register(module: "affine1", affine1)
            try register(module: "con2", con2)
            try register(module: "affine2", affine2)
        }

        /// [N, in, H, W] -> [N, channels, H', W']: H' = H, or max((H - 3) / 2 + 1, H / 2) downsampling.
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let block = try affine2(con2(affine1(con1(x)).relu()))
            let shortcut = downsample ? try F.avgPool2d(x, kernel: (2, 2), stride: (2, 2)) : x
            return try DlibFaceRecognition.addPrev(block, shortcut).relu()
        }
    }

    /// dlib's `add_prev` of a [N, C1, H1, W1] and b [N, C2, H2, W2]: [N, max C, max H, max W], each zero-extended at
    /// the end of its channel, row and column dimensions.
    static func addPrev(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let target = (1...3).map { max(a.size($0), b.size($0)) }
        func extended(_ t: Tensor) throws -> Tensor {
            let grow = (1...3).map { target[$0 - 1] - t.size($0) }
            return grow.allSatisfy({ $0 == 0 }) ? t : try t.pad([0, grow[2], 0, grow[1], 0, grow[0]])
        }
        return try extended(a) + extended(b)
    }
}
